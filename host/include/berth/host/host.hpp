// The berth host: discovers and loads plugins, opens sessions through them and keeps them
// (the only map of sessions), with per-plugin metrics in the registry. Embeddable: the CLI and
// berthd are thin front ends over this class.
#pragma once

#include <berth/host/discovery.hpp>
#include <berth/host/plugin.hpp>
#include <berth/host/result.hpp>
#include <berth/host/session.hpp>
#include <berth/registry/registry.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host {

// Session logs on disk (registry::session_log): every session's output goes to
// <dir>/<id>.log as it comes, so readers behind the memory ring lose nothing within the bound.
struct session_log_options {
    std::filesystem::path dir;
    std::uint64_t session_bytes = std::uint64_t{256} << 20;  // per session (file bytes)
    std::uint64_t total_bytes = std::uint64_t{4} << 30;      // all sessions' logs together
};

struct host_options {
    // Directories to scan. Unset: the standard search (see discovery.hpp).
    std::optional<std::vector<std::filesystem::path>> plugin_dirs{};
    std::size_t output_buffer_capacity = registry::output_buffer::k_default_capacity;
    // Ownership token handed to every plugin (berth_host_services.owner): 1 to 32 characters
    // [a-z0-9-], stable across restarts. Empty: the host does not track what plugins create.
    std::string owner{};
    // Load each plugin file first in a throwaway process (berth-plugin-probe, found next to the
    // executable's plugin directory), so a plugin that crashes or hangs in its entry, its
    // static initialisers or create() is rejected with that reason instead of taking this
    // process down. Costs a process start per new file per scan: berthd and the diagnostic
    // commands turn it on; a one-shot `berth run` does not. Without a probe binary the host
    // loads in-process and says so once.
    bool probe_plugins = false;
    std::chrono::milliseconds probe_timeout{10000};
    // The berth install this host belongs to: its plugin directory (<prefix>/lib/berth/plugins)
    // is searched and its probe (<prefix>/lib/berth/berth-plugin-probe) used. Unset: the
    // install of this process's executable (<prefix>/bin/...). An embedding program is not
    // berth's executable, so it says where berth lies (libberth-host does, from its own path).
    std::optional<std::filesystem::path> install_prefix{};
    // The probe to use when probe_plugins is set. Unset: the install's (see install_prefix).
    std::optional<std::filesystem::path> probe_path{};
    // Unset: output is kept in memory only.
    std::optional<session_log_options> session_logs{};
};

// True for a valid owner token: 1 to 32 of [a-z0-9-].
[[nodiscard]] bool valid_owner_token(std::string_view token) noexcept;

// What reclaim_owned() did for one plugin.
struct reclaim_report {
    std::string runtime;
    std::uint32_t removed = 0;  // containers removed
    std::string error;          // what could not be removed, in the plugin's words
};

// What happened to each candidate file, for `berth plugin ls` and logs.
struct plugin_report {
    enum class status { loaded, rejected, shadowed, removed };
    std::filesystem::path path;
    status state = status::rejected;
    std::string reason;           // rejected: why; shadowed: by which file
    plugin_descriptor_info info;  // filled when the descriptor could be read
};

[[nodiscard]] std::string_view to_string(plugin_report::status s) noexcept;

class host {
public:
    explicit host(host_options options = {});
    ~host();  // sessions first, then plugins
    host(const host&) = delete;
    host& operator=(const host&) = delete;

    // Snapshots: a rescan may change them at any time.
    [[nodiscard]] std::vector<plugin_report> reports() const;
    [[nodiscard]] std::vector<std::shared_ptr<plugin>> plugins() const;
    // The directories scanned, each with where it came from: the standard search's, or
    // (all dir_origin::other) the embedder's own host_options::plugin_dirs.
    [[nodiscard]] std::vector<search_dir> search_dirs() const;
    // By runtime id, or by plugin name.
    [[nodiscard]] std::shared_ptr<plugin> find(std::string_view runtime_or_name) const;

    // Scans the plugin directories again (berthd does on SIGHUP): new files are loaded;
    // plugins whose file is gone stop taking new sessions, while their open sessions go on
    // (the library stays loaded until the last of them ends). A file replaced at the same path
    // (a package upgrade) is loaded anew and takes the new sessions; the old one finishes its
    // own. Unchanged files are kept as they are, with their instance and sessions. Thread-safe.
    struct rescan_summary {
        std::vector<std::string> added;     // runtime ids
        std::vector<std::string> removed;   // runtime ids
        std::vector<std::string> reloaded;  // runtime ids whose file was replaced
    };
    rescan_summary rescan();

    // Asks every plugin to remove the containers an earlier life of this host (same owner)
    // left behind, in parallel; returns once all have answered (each plugin bounds its own
    // runtime calls). Call it before opening sessions: a plugin through which a session was
    // already opened is skipped, and a session_open meanwhile waits. Plugins without the ABI
    // 1.1 slot, and every plugin when options.owner is empty, are skipped and not reported.
    [[nodiscard]] std::vector<reclaim_report> reclaim_owned();

    // Validates options against the plugin's schema, then opens. Nothing is spawned when the
    // options are invalid. From the plugin's session_open on, the session is the host's
    // (find_session, sessions) until forgotten: while it opens (state starting), and also when
    // the plugin fails to open it (kept as a failed session whose record says why).
    // `on_exit` is told once the session's end is recorded (see exit_observer), also when the
    // open fails; not when the options are invalid (no session was made).
    [[nodiscard]] result<std::shared_ptr<session>> open_session(std::string_view runtime,
                                                                std::string_view options_json,
                                                                output_observer observer = {},
                                                                exit_observer on_exit = {});

    // The host's sessions: the only map of them. Thread-safe.
    [[nodiscard]] std::shared_ptr<session> find_session(std::string_view id) const;
    // In the order they came (opened or restored).
    [[nodiscard]] std::vector<std::shared_ptr<session>> sessions() const;
    // Their records, in the same order.
    [[nodiscard]] std::vector<registry::session_record> session_records() const;
    // Keeps a session known by its record alone: one that ended before this host started
    // (berthd's state file). Found, listed and read like a session that ended and was
    // released; nothing of it reaches a plugin. BERTH_ERR_INVALID_ARGUMENT for a record that
    // is not final or has no id, BERTH_ERR_STATE when its id is taken.
    result<std::shared_ptr<session>> restore_session(registry::session_record record);
    // Drops the session, its record and its output, its log file included (a session that
    // still runs is closed when the last holder lets go of it).
    void forget_session(std::string_view id);
    // Deletes the log files of sessions the host does not know (left by an earlier life whose
    // records are gone); call it after restoring sessions. Returns how many went.
    std::size_t prune_session_logs();

    // Gives back what the plugins still hold for sessions that have ended (their handles,
    // through session_destroy: a worker thread per containerd or LXC session, file
    // descriptors, buffers), while the host keeps the session: find_session still finds it,
    // its record and output stay readable, and write/close_input/resize/signal on it return
    // BERTH_ERR_STATE "session ID has ended" (close returns at once). Returns how many sessions
    // were released now. A session with a call in progress on another thread (a close
    // waiting out its grace period), or whose plugin never delivered the exit (a close that
    // failed), is left for a later call. Thread-safe; blocks while plugins destroy the
    // handles (each bounded by the plugin). Must not be called from a plugin's callback (an
    // output observer): there it releases nothing. berthd calls it from its periodic tick.
    std::size_t release_ended_sessions();

    [[nodiscard]] registry::registry& registry() noexcept { return registry_; }

private:
    rescan_summary scan();
    [[nodiscard]] std::shared_ptr<plugin> find_locked(std::string_view runtime_or_name) const;
    // Puts a new session for `record` into the map (a fresh id when it has none); null when
    // its id is taken.
    std::shared_ptr<session> keep(registry::session_record record, std::shared_ptr<plugin> p,
                                  output_observer observer);
    // The log a session gets: a new one, or (restored) the one an earlier life wrote.
    [[nodiscard]] std::unique_ptr<registry::session_log> log_for(const std::string& id,
                                                                 bool restored) const;

    host_options options_;
    std::vector<std::filesystem::path> dirs_;
    std::optional<std::filesystem::path> probe_;  // when probing and the binary exists
    registry::registry registry_;                 // before plugins: plugins push metrics into it
    std::shared_ptr<registry::log_space> log_space_;  // with session_logs: their total bound
    std::mutex scan_mutex_;                           // one scan at a time (see scan())
    mutable std::mutex plugins_mutex_;  // plugins_, retired_ and reports_ as others see them
    std::vector<plugin_report> reports_;
    std::vector<std::shared_ptr<plugin>> plugins_;  // taking new sessions
    std::vector<std::shared_ptr<plugin>> retired_;  // file removed; kept for their sessions
    mutable std::mutex sessions_mutex_;             // sessions_ and order_
    std::map<std::string, std::shared_ptr<session>, std::less<>> sessions_;
    std::vector<std::shared_ptr<session>> order_;  // the same sessions, as they came
};

}  // namespace berth::host
