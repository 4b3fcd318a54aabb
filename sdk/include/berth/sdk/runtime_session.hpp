// The session lifecycle: how every runtime plugin's sessions start, end and clean up.
//
// A runtime plugin supplies a session_driver with what is specific to its runtime: the argv
// to run (and what to create first), how to reach the command with a signal, how to read an
// exit from the runtime's words, and what to remove afterwards. The SDK owns the rest, the
// same way for every plugin:
//
//  - one event loop for the output of all of a plugin's sessions and a small shared worker
//    pool for blocking clean-up (session_runtime): no thread per session;
//  - the bounded head and tail of the runtime's stderr (or terminal), where its errors are;
//  - exit after clean-up: when the runtime process has ended and its output is drained, the
//    driver classifies the exit and cleans up on a worker, and only then is on_exit delivered,
//    exactly once, unless the handle was destroyed meanwhile;
//  - closing as a user expects: input closed first (a shell reading it ends there, exit 0),
//    then SIGTERM (and SIGHUP on a terminal) through the driver, then SIGKILL once the grace
//    period has passed since close() was called, then the runtime process itself if even that
//    did not end it; close() returns once on_exit was delivered, bounded;
//  - a missing runtime tool is BERTH_ERR_UNAVAILABLE with the driver's install hint;
//  - state shared between the handle and pending callbacks, so a session that will not die
//    costs memory until its process goes, never a use-after-free, and nothing is leaked.
//
// Threads: prepare/started/wait_ready/signal/stop run on the caller's thread of open(),
// write(), signal() or close(); classify and clean_up on a worker. A driver never sees the
// event loop's thread.
#pragma once

#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>
#include <berth/sdk/worker_pool.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace berth::sdk {

// How the runtime's process ended, for the driver to read.
struct runtime_end {
    exit_status process;   // the runtime process's own exit code or signal
    std::string head;      // the first bytes it wrote on stderr (or the terminal), bounded
    std::string tail;      // the last bytes, bounded
    bool closing = false;  // close() (or the handle's destruction) ended the session
    // The SDK signalled the runtime process itself, not only the command: a runtime may then
    // skip its own clean-up (and its exit status says little about the command).
    bool runtime_signalled = false;
};

// What a driver's prepare() hands the SDK: the process to run and the facts about it.
struct session_plan {
    process_spec process;
    // What the session runs in (session_info), e.g. the container's name; empty for none.
    std::string target;
    // How a user gets the runtime's tool (process.argv[0]) when it is missing, e.g. "install
    // podman, or point option 'binary' at it". Empty when argv[0] is the user's own command (a
    // process on the host): then a missing one is COMMAND_NOT_FOUND.
    std::string install_hint;
    // The longest classify plus clean_up may take: close() waits that long for them.
    std::chrono::milliseconds clean_up_bound{10000};
    // False when classify and clean_up never block (they are the defaults, or only read the
    // runtime's words): the exit is then delivered straight from the event loop, with no
    // worker thread and no queueing behind other sessions' clean-ups.
    bool end_blocks = true;
};

// What a driver's stop() achieved.
enum class stop_result : std::uint8_t {
    reached,       // the signal went to the command
    not_yet,       // the command does not exist yet (a container still being created): ask again
    out_of_reach,  // the runtime process is the only way: the SDK signals its process group
};

class session_driver {
public:
    static constexpr std::size_t k_words_bytes = 4096;  // head and tail, each

    virtual ~session_driver() = default;

    // open()'s thread. Create what the session needs (a container: blocking, bounded) and
    // return the process to run. Throw sdk::error when that fails, leaving nothing behind.
    virtual session_plan prepare() = 0;

    // open()'s thread, when prepare() succeeded but the process could not be started: undo
    // prepare(). Bounded; must not throw.
    virtual void abandon() noexcept {}

    // open()'s thread, once the process runs. Must not throw: the session is running.
    virtual void started(process_session& process) noexcept { (void)process; }

    // Before input, a resize or a signal reaches the process: wait (bounded) until the runtime
    // is ready to pass it on. Caller's thread.
    virtual void wait_ready(process_session& process) { (void)process; }

    // A user's signal for the command (signo already checked). Default: to the runtime
    // process, for runtimes that forward signals.
    virtual void signal(int signo, process_session& process) { process.signal(signo); }

    // close(): ask the command to stop with signo (SIGTERM, on a terminal followed by SIGHUP,
    // then SIGKILL). While the answer is not_yet, the SDK asks again every 100 ms until the
    // phase ends (so a process that shows up late still gets the signal; keep a set of what was
    // signalled if a repeat would matter); out_of_reach, or not_yet at the end of a phase,
    // makes the SDK signal the runtime process's group instead. Once a signal reached the
    // command, the runtime is never signalled for a later one: the command is on its way out.
    virtual stop_result stop(int signo, process_session& process) {
        (void)signo;
        (void)process;
        return stop_result::out_of_reach;
    }

    // Worker. The session's exit from the runtime's: its code or signal, its words, whether
    // the session was being closed. May block, bounded (ask the runtime what became of the
    // container). Default: the runtime process's own status.
    virtual exit_status classify(const runtime_end& end) { return end.process; }

    // Worker, after classify. Remove what the session created; name what could not be removed
    // in status.reason (and the log). Bounded by the plan's clean_up_bound.
    virtual void clean_up(exit_status& status, const runtime_end& end) {
        (void)status;
        (void)end;
    }
};

class runtime_session;

// What a plugin instance keeps for all its sessions: the host's services, the event loop and
// the worker pool. Declare it as the plugin's last member, so its threads stop first, while
// everything their jobs use still exists.
class session_runtime {
public:
    explicit session_runtime(host_services host,
                             std::size_t workers = worker_pool::k_default_threads)
        : host_(std::move(host)), workers_(workers) {}
    session_runtime(const session_runtime&) = delete;
    session_runtime& operator=(const session_runtime&) = delete;

    // Prepares and starts a session. Throws sdk::error (what prepare() throws, or the
    // process helper's, a missing runtime tool as BERTH_ERR_UNAVAILABLE); nothing is left
    // running then.
    [[nodiscard]] std::unique_ptr<runtime_session> open(std::unique_ptr<session_driver> driver,
                                                        session_sink sink);

    [[nodiscard]] const host_services& host() const noexcept { return host_; }
    [[nodiscard]] worker_pool& workers() noexcept { return workers_; }
    [[nodiscard]] event_loop& loop() noexcept { return loop_; }

private:
    host_services host_;
    worker_pool workers_;
    event_loop loop_;  // last: stops before the workers finish their jobs
};

class runtime_session final : public session {
public:
    static constexpr std::uint64_t k_streams = BERTH_CAP_PIPES | BERTH_CAP_PTY;

    // Closes a running session (BERTH_DEFAULT_GRACE_MS) and detaches: no callback reaches
    // the host after this. What still runs (a runtime process that survived SIGKILL, a
    // clean-up past its bound) finishes on its own, owned by the shared state.
    ~runtime_session() override;
    runtime_session(const runtime_session&) = delete;
    runtime_session& operator=(const runtime_session&) = delete;

    void write(std::span<const std::uint8_t> data) override;
    void close_stdin() override;
    // BERTH_ERR_STATE without a terminal.
    void resize(std::uint16_t rows, std::uint16_t cols) override;
    // BERTH_ERR_INVALID_ARGUMENT for a number that is not a signal; nothing once ended.
    void signal(int signo) override;
    void close(std::chrono::milliseconds grace) override;
    [[nodiscard]] std::int64_t pid() const override;
    [[nodiscard]] const std::string& target() const override { return target_; }
    [[nodiscard]] bool tty() const override;

    struct state;

private:
    friend class session_runtime;
    runtime_session(std::shared_ptr<state> s, std::unique_ptr<process_session> p,
                    std::string target, std::chrono::milliseconds clean_up_bound);
    // close()'s escalation once input is closed: SIGTERM, then SIGKILL at the deadline.
    void stop_process(std::chrono::steady_clock::time_point grace_end);

    std::shared_ptr<state> state_;
    std::unique_ptr<process_session> process_;
    const std::string target_;
    const std::chrono::milliseconds clean_up_bound_;
};

}  // namespace berth::sdk
