// A session opened through a plugin, as the host sees it: the plugin's handle, the registry
// entry its output and exit go into, an optional observer that sees output as it comes (how
// `berth run` streams to its own stdout) and one told once of its end.
#pragma once

#include <berth/host/result.hpp>
#include <berth/registry/session_entry.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>

struct berth_session;

namespace berth::host {

class plugin;

// Called on the plugin's thread for each chunk, in order; may block (back-pressure).
using output_observer = std::function<void(registry::stream, std::string_view)>;

// Called exactly once per session whose end becomes known, after its record is final (no
// output comes after it): on the plugin's thread when the plugin reports the exit; on the
// thread of open_session when the open fails; on the thread of close() when the plugin's
// close fails (no exit will be reported then). Never for a session dropped while it still
// runs without a reported end. Must not block, nor call into the host (its locks may be
// taken under the plugin's): it runs inside the plugin's callback. How `berth run` learns of
// the exit without polling.
using exit_observer = std::function<void()>;

// Thread-safe: write, close_input, resize, signal and close may come from any threads at
// once, also while the host releases the session (host::release_ended_sessions).
class session {
public:
    ~session();  // releases the plugin's handle (closing the session if it still runs)
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    [[nodiscard]] const std::string& id() const noexcept { return entry_->id(); }
    [[nodiscard]] const std::shared_ptr<registry::session_entry>& entry() const noexcept {
        return entry_;
    }
    // Null for a session the host restored from its record alone (host::restore_session).
    [[nodiscard]] const std::shared_ptr<host::plugin>& plugin() const noexcept { return plugin_; }

    // On a released session these four return BERTH_ERR_STATE, "session ID has ended" (and
    // "session ID is still opening" before its plugin has opened it).
    result<void> write(std::span<const std::uint8_t> data);
    result<void> write(std::string_view text);
    result<void> close_input();
    result<void> resize(std::uint16_t rows, std::uint16_t cols);
    result<void> signal(int signo);
    // Ends the session (SIGTERM, SIGKILL after grace, runtime cleanup) and marks it closed.
    // On a released session there is nothing left to end: returns success at once and the
    // record (entry()) keeps how the session ended. BERTH_ERR_STATE while it still opens.
    result<void> close(std::chrono::milliseconds grace, std::string_view reason = "closed");

    // True once the host gave the plugin's objects for this session back (it had ended), or
    // when it never had any (its open failed, or it was restored from its record): the record
    // and the output stay readable through entry(); nothing reaches the plugin any more.
    [[nodiscard]] bool released() const;

    struct sink_context;  // what the plugin's callbacks point at

private:
    friend class host;
    session() = default;
    // A session with no plugin handle yet (plugin null: one known by its record alone).
    [[nodiscard]] static std::shared_ptr<session> create(
        std::shared_ptr<host::plugin> plugin, std::shared_ptr<registry::session_entry> entry,
        output_observer observer);
    // Before open(): who is told of the session's end (see exit_observer).
    void observe_exit(exit_observer observer);
    // Calls the plugin's session_open; on failure marks the entry failed. Once.
    result<void> open(const std::string& options_json);
    // What the plugin says the session is (ABI 1.2 session_info): its target and whether it
    // has a terminal; nothing and false for a plugin without the slot.
    [[nodiscard]] std::pair<std::string, bool> describe(berth_session* handle) const;
    result<void> check(int status, const char* what);
    // Why a call finds no handle: the session is still opening, or has ended.
    [[nodiscard]] error no_handle_error() const;
    // Destroys the plugin's handle (session_destroy) once the plugin has delivered the
    // session's exit (waiting a moment for an exit being delivered right now). False,
    // changing nothing, when the exit has not come, the handle is gone already, or another
    // thread is in a call on the handle right now (a close waiting for its grace period): a
    // later try gets it. Never from a plugin callback.
    bool release();

    std::shared_ptr<host::plugin> plugin_;  // keeps the library loaded while we live
    std::shared_ptr<registry::session_entry> entry_;
    std::unique_ptr<sink_context> sink_;
    // Calls on the handle hold it shared (the ABI lets them run concurrently); release()
    // holds it exclusively, as session_destroy may overlap no other call on the handle.
    mutable std::shared_mutex handle_mutex_;
    berth_session* handle_ = nullptr;  // null once released
};

}  // namespace berth::host
