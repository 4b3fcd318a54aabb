#include "podman_session.hpp"

#include <berth/sdk/run_command.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <set>
#include <thread>

#include "container_processes.hpp"
#include "podman_argv.hpp"
#include "podman_exit.hpp"

namespace berth::plugins::podman {
namespace {

using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

constexpr milliseconds k_default_grace{2000};
// After the container's processes got SIGKILL, podman reports within well under a second; a
// container still being created gets this long to show its process (and be killed).
constexpr milliseconds k_podman_exit_wait{5000};
// A signal sent while the container is still being created waits this long for its process.
constexpr milliseconds k_signal_wait{5000};
constexpr milliseconds k_poll{50};
constexpr milliseconds k_remove_timeout{30000};
// A podman exec killed while it set up its process may still start it: look this long.
constexpr int k_sweep_rounds = 10;
constexpr milliseconds k_sweep_interval{100};
// Bounds close() after podman is gone: the worker may first finish other sessions' jobs.
constexpr milliseconds k_cleanup_timeout{60000};
// `podman container inspect` after an exec'd command was killed by a signal.
constexpr milliseconds k_state_timeout{10000};

std::string trimmed(std::string text) {
    text.erase(text.find_last_not_of(" \t\r\n") + 1);
    text.erase(0, text.find_first_not_of(" \t\r\n"));
    return text;
}

}  // namespace

struct podman_session::state : std::enable_shared_from_this<state> {
    state(sdk::worker& w, sdk::host_services h, podman_options o, session_ids i,
          sdk::session_sink s)
        : options(std::move(o)),
          ids(std::move(i)),
          processes(k_token_env, ids.token),
          sink(s),
          worker(w),
          host(h) {}

    const podman_options options;
    const session_ids ids;
    const container_processes processes;
    const sdk::session_sink sink;
    sdk::worker& worker;
    const sdk::host_services host;

    output_tail tail;  // event loop thread only
    std::atomic<bool> closing{false};
    // podman itself got a signal from us: its exit status and its own clean-up are not to
    // be trusted (a SIGTERM while it creates the container makes it exit 0 and leave the
    // container behind).
    std::atomic<bool> podman_signalled{false};

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    bool done = false;      // the exit was reported (or dropped, once detached)
    bool detached = false;  // the handle is gone: no more callbacks

    [[nodiscard]] bool run_mode() const noexcept { return options.mode == session_mode::run; }

    // On the event loop's thread, after podman's last output.
    void podman_exited(const sdk::process_exit& e) {
        sdk::exit_status status = classify_exit(e, tail.text(), options.mode);
        const bool podman_killed = e.term_signal > 0 || podman_signalled;
        // A closed session's container goes whatever podman did; a name taken by another
        // container means podman created nothing of ours.
        const bool remove =
            run_mode() && (closing || podman_killed) && !is_name_conflict(tail.text());
        const bool sweep = !run_mode() && options.local() && (closing || podman_killed);
        // An exec'd command killed by a signal nobody here sent: was it the container that
        // went (`podman kill`, `podman stop`)? Only podman can say, and it may block.
        const bool explain = !run_mode() && !closing && !podman_killed && status.term_signal > 0;
        if (!remove && !sweep && !explain) {
            report(status);
            return;
        }
        worker.post([self = shared_from_this(), status = std::move(status), remove, sweep, explain,
                     podman_killed]() mutable {
            if (explain) self->explain_signal(status);
            if (remove) self->remove_container(status);
            if (sweep) self->kill_stragglers(podman_killed ? k_sweep_rounds : 1);
            self->report(status);
        });
    }

    // Worker thread. The command of an exec session ended by a signal: if its container is
    // no longer running, that is what happened to the command.
    void explain_signal(sdk::exit_status& status) const {
        const std::string& name = options.container;
        try {
            const auto r = sdk::run_command(state_argv(options, name), k_state_timeout);
            const std::string container_state = trimmed(r.out);
            // Still there: the command alone was killed.
            if (r.ok() && (container_state == "running" || container_state == "paused")) return;
            if (r.ok() && !container_state.empty()) {
                // "exited", or "stopped" while podman still cleans up: stopped either way.
                status.reason =
                    "container '" + name + "' stopped while the session ran: " + status.reason;
                return;
            }
            const std::string words = r.message();
            if (!r.timed_out && words.find("no such container") != std::string::npos) {
                status.reason =
                    "container '" + name + "' was removed while the session ran: " + status.reason;
                return;
            }
            host.log(BERTH_LOG_DEBUG,
                     "cannot tell what became of container " + name + ": " + words);
        } catch (const std::exception& ex) {
            host.log(BERTH_LOG_DEBUG,
                     "cannot tell what became of container " + name + ": " + ex.what());
        }
    }

    // Worker thread.
    void remove_container(sdk::exit_status& status) const {
        std::string problem;
        try {
            const auto r = sdk::run_command(remove_argv(options, ids.name), k_remove_timeout);
            if (!r.ok()) problem = r.message();
        } catch (const std::exception& e) {
            problem = e.what();
        }
        if (problem.empty()) {
            host.add_counter("forced_removals_total", 1);
            return;
        }
        host.log(BERTH_LOG_WARN, "could not remove container " + ids.name + ": " + problem);
        host.add_counter("cleanup_failures_total", 1);
        status.reason += (status.reason.empty() ? "" : "; ") + std::string("container ") +
                         ids.name + " may be left behind: " + problem;
    }

    // Worker thread.
    void kill_stragglers(int rounds) const {
        for (int i = 0; i < rounds; ++i) {
            if (i > 0) std::this_thread::sleep_for(k_sweep_interval);
            if (const auto n = processes.signal_all(SIGKILL); n > 0)
                host.log(BERTH_LOG_DEBUG, "killed " + std::to_string(n) +
                                              " leftover process(es) of exec session " + ids.token);
        }
    }

    void report(const sdk::exit_status& status) {
        {
            std::lock_guard lock(mutex);
            if (!detached) sink.exit(status);
            done = true;
        }
        changed.notify_all();
    }

    [[nodiscard]] bool wait_done(milliseconds timeout) const {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [this] { return done; });
    }
};

podman_session::podman_session(sdk::event_loop& loop, sdk::worker& worker, sdk::host_services host,
                               podman_options options, sdk::session_sink sink) {
    session_ids ids;
    ids.token = new_token();
    if (options.mode == session_mode::run) {
        ids.name = options.name.empty() ? "berth-" + ids.token : options.name;
        ids.owner = host.owner();
    }

    sdk::process_spec spec;
    spec.argv = session_argv(options, ids);
    spec.tty = options.tty;
    spec.rows = options.rows;
    spec.cols = options.cols;

    state_ = std::make_shared<state>(worker, host, std::move(options), std::move(ids), sink);
    sdk::process_callbacks callbacks;
    callbacks.on_output = [st = state_](berth_stream stream, std::span<const std::uint8_t> data) {
        // podman's own words end up on stderr, or on the terminal.
        if (stream != BERTH_STREAM_STDOUT) st->tail.append(data);
        st->sink.output(stream, data);
    };
    callbacks.on_exit = [st = state_](const sdk::process_exit& e) { st->podman_exited(e); };
    try {
        process_ = sdk::process_session::start(loop, std::move(spec), std::move(callbacks));
    } catch (const sdk::error& e) {
        // "command not found" would read as the container's command missing (exit 127).
        if (e.status() == BERTH_ERR_NOT_FOUND || e.status() == BERTH_ERR_PERMISSION)
            throw sdk::error(BERTH_ERR_UNAVAILABLE,
                             "podman is not available: " + std::string(e.what()) +
                                 " (install podman, or point option 'binary' at it)");
        throw;
    }
}

podman_session::~podman_session() {
    try {
        if (!state_->wait_done(milliseconds(0))) close(k_default_grace);
    } catch (...) {
        // Bounded anyway; a destructor reports nothing.
    }
    {
        std::lock_guard lock(state_->mutex);
        state_->detached = true;
    }
    process_.reset();
}

void podman_session::write(std::span<const std::uint8_t> data) { process_->write(data); }

void podman_session::close_stdin() { process_->close_stdin(); }

void podman_session::resize(std::uint16_t rows, std::uint16_t cols) {
    // The terminal's SIGWINCH reaches podman, which resizes the container's terminal.
    process_->resize(rows, cols);
}

void podman_session::signal(int signo) {
    if (process_->finished()) return;
    const auto& st = *state_;
    if (st.options.local()) {
        const auto deadline = clock::now() + k_signal_wait;
        while (true) {
            if (const auto leader = st.processes.leader()) {
                const int err = st.processes.signal(leader->pid, signo);
                if (err == 0) return;
                if (err != ESRCH) break;  // out of reach (a rootless container's user)
                // ESRCH: it ended just now; look again after a pause.
            }
            if (clock::now() >= deadline) break;
            if (process_->wait(k_poll)) return;  // ended before its process showed up
        }
    }
    if (st.run_mode()) {
        state_->podman_signalled = true;
        process_->signal(signo);  // podman run --sig-proxy forwards it to the container
        return;
    }
    throw sdk::error(BERTH_ERR_UNSUPPORTED,
                     "cannot send signal " + std::to_string(signo) +
                         " to the command in container '" + st.options.container +
                         "': podman exec forwards no signals, and the command's process " +
                         (st.options.local() ? "could not be reached on this host"
                                             : "runs behind a remote podman service"));
}

bool podman_session::stop_container_processes(milliseconds grace) {
    const auto& st = *state_;
    // Signals each process of the session once; a command may only start while we wait.
    // Interactive shells ignore SIGTERM but leave on a hang-up, as on a real terminal.
    const auto signal_new = [&st](std::set<pid_t>& done, int signo) {
        for (const auto& p : st.processes.find()) {
            if (!done.insert(p.pid).second) continue;
            (void)st.processes.signal(p.pid, signo);
            if (signo == SIGTERM && st.options.tty) (void)st.processes.signal(p.pid, SIGHUP);
        }
    };
    const auto wait_for_podman = [this](clock::time_point until) {
        const auto left = std::chrono::duration_cast<milliseconds>(until - clock::now());
        return process_->wait(std::clamp(left, milliseconds(1), k_poll));
    };

    std::set<pid_t> asked;
    const auto grace_end = clock::now() + grace;
    while (true) {
        signal_new(asked, SIGTERM);
        if (clock::now() >= grace_end) break;
        if (wait_for_podman(grace_end)) return true;
    }

    std::set<pid_t> killed;
    const auto kill_end = clock::now() + k_podman_exit_wait;
    do {
        signal_new(killed, SIGKILL);
        if (wait_for_podman(kill_end)) return true;
    } while (clock::now() < kill_end);
    return process_->finished();
}

void podman_session::close(milliseconds grace) {
    if (state_->wait_done(milliseconds(0))) return;
    state_->closing = true;
    // Locally the container's processes are stopped and podman exits by itself; podman is
    // killed only when that fails, or when they are out of sight behind a remote service.
    const bool local = state_->options.local();
    if (!local || !stop_container_processes(grace)) {
        state_->podman_signalled = true;
        if (!process_->terminate(local ? milliseconds(0) : grace))
            throw sdk::error(BERTH_ERR_TIMEOUT, "podman (pid " + std::to_string(pid()) +
                                                    ") did not end even after SIGKILL");
    }
    if (!state_->wait_done(k_cleanup_timeout))
        throw sdk::error(BERTH_ERR_TIMEOUT, "clean-up after podman did not finish within " +
                                                std::to_string(k_cleanup_timeout.count() / 1000) +
                                                " s");
}

std::int64_t podman_session::pid() const { return process_->pid(); }

}  // namespace berth::plugins::podman
