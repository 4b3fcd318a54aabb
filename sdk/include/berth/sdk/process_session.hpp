// Run one argv as a console session: the helper runtime plugins are built on.
//
// A runtime plugin turns its options into an argv (never a shell string) and hands it here.
// The helper spawns it with pipes (stdout and stderr kept apart) or on a pseudo-terminal
// (raw bytes, resizable, the terminal as controlling terminal), streams output to callbacks
// on the event loop's thread, delivers stdin with back-pressure, EOF, signals and resizes,
// reaps the child through its own pidfd (never SIGCHLD, which several plugins in one process
// would steal from each other) and reports exit code and terminating signal. close kills the
// whole process group: SIGTERM, then SIGKILL after the grace period.
#pragma once

#include <berth/plugin.h>
#include <berth/sdk/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace berth::sdk {

class event_loop;

struct process_spec {
    std::vector<std::string> argv;  // argv[0] without a '/' is looked up in PATH
    // Variables set on top of the inherited environment (or of an empty one with clear_env).
    std::map<std::string, std::string> env;
    bool clear_env = false;
    std::string working_dir;  // empty: inherit
    bool tty = false;
    std::uint16_t rows = 24;
    std::uint16_t cols = 80;
    // After the process exits, how long to wait for the rest of its output (a grandchild may
    // keep the pipe open) before the session is reported ended anyway.
    std::chrono::milliseconds drain_timeout{500};
    // Most bytes queued for stdin before write() blocks the caller.
    std::size_t stdin_buffer_limit = std::size_t{1} << 20;
    // How long write() blocks on a full stdin buffer before giving up with BERTH_ERR_TIMEOUT.
    std::chrono::milliseconds write_timeout{30000};
    // On a terminal, SIGWINCH again this long after each resize (offsets from the resize).
    // For runtime clients that start listening for SIGWINCH late: ctr (Go) installs its
    // handler only after its first resize call returns, and a SIGWINCH before that is dropped
    // for good. A repeat is harmless: the client reads the size again and resends it.
    std::vector<std::chrono::milliseconds> winch_repeats;
};

struct process_callbacks {
    // On the loop's thread, in order, never concurrently. data is borrowed for the call.
    std::function<void(berth_stream, std::span<const std::uint8_t>)> on_output;
    // On the loop's thread, exactly once, after the last on_output.
    std::function<void(const exit_status&)> on_exit;  // exit_code or term_signal
};

class process_session {
public:
    // Spawns spec.argv. Throws sdk::error: BERTH_ERR_COMMAND_NOT_FOUND,
    // BERTH_ERR_COMMAND_NOT_EXECUTABLE, BERTH_ERR_INVALID_ARGUMENT (empty argv, missing
    // working directory), BERTH_ERR_RUNTIME (anything else the OS refused).
    static std::unique_ptr<process_session> start(event_loop& loop, process_spec spec,
                                                  process_callbacks callbacks);

    // Terminates a running process (default grace) and waits, bounded, for its exit.
    ~process_session();
    process_session(const process_session&) = delete;
    process_session& operator=(const process_session&) = delete;

    // Queues bytes for stdin; blocks while the queue is over the limit (bounded by
    // spec.write_timeout). Throws BERTH_ERR_STATE after close_stdin or once stdin is gone.
    void write(std::span<const std::uint8_t> data);
    // End of input once queued bytes are written: closes the pipe, or on a terminal sends
    // the terminal's EOF character (at the start of a line).
    void close_stdin();
    // Throws BERTH_ERR_STATE for a pipe session.
    void resize(std::uint16_t rows, std::uint16_t cols);
    // Signals the main process (race-free, through its pidfd). No-op once it was reaped.
    void signal(int signo);
    // Signals the whole process group (a terminal session's jobs included).
    void signal_group(int signo);

    // SIGTERM (and SIGHUP on a terminal, which interactive shells obey) to the process group,
    // SIGKILL after grace; returns once on_exit was delivered: true, or false if even SIGKILL
    // did not end it within a few seconds. Must not be called on the loop's thread.
    bool terminate(std::chrono::milliseconds grace);
    // Waits until on_exit was delivered; true if it was within timeout.
    bool wait(std::chrono::milliseconds timeout) const;

    [[nodiscard]] bool finished() const;
    [[nodiscard]] std::int64_t pid() const noexcept;
    [[nodiscard]] bool tty() const noexcept;

    struct state;

private:
    explicit process_session(std::shared_ptr<state> s);
    std::shared_ptr<state> state_;
};

// Finds an executable by name in a PATH-style list; a name with '/' is returned as is if it
// is executable. nullopt when not found.
[[nodiscard]] std::optional<std::string> find_executable(const std::string& name,
                                                         const std::string& path_list);
// The same, in this process's $PATH (a standard list when PATH is unset): what a child
// spawned without its own PATH would find.
[[nodiscard]] std::optional<std::string> find_executable(const std::string& name);

}  // namespace berth::sdk
