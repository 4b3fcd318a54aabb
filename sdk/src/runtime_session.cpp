#include <berth/sdk/run_command.hpp>
#include <berth/sdk/runtime_session.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>

namespace berth::sdk {
namespace {

using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

// How long close() lets a command end on its own after its input closed, before SIGTERM: a
// shell reading its input (on pipes or at a terminal's prompt) is gone within milliseconds.
// At most half the grace period, so SIGTERM still gets its share.
constexpr milliseconds k_eof_wait{500};
// After SIGKILL went to the command, how long the runtime gets to notice and exit (a
// container still being created shows its process only then).
constexpr milliseconds k_kill_wait{5000};
// How often a driver that answered not_yet is asked again.
constexpr milliseconds k_stop_poll{100};

// The state whose exit this thread is delivering: a handle destroyed from inside on_exit (which
// the ABI allows) must not wait for its own delivery.
thread_local const void* t_delivering = nullptr;

milliseconds until(clock::time_point deadline) {
    return std::max(milliseconds(0),
                    std::chrono::duration_cast<milliseconds>(deadline - clock::now()));
}

// Keeps the first and the last k bytes of what the runtime wrote on stderr or its terminal.
void keep_words(std::string& head, std::string& tail, std::span<const std::uint8_t> data) {
    constexpr std::size_t k = session_driver::k_words_bytes;
    const auto* bytes = reinterpret_cast<const char*>(data.data());
    if (head.size() < k) head.append(bytes, std::min(data.size(), k - head.size()));
    tail.append(bytes, data.size());
    if (tail.size() > 2 * k) tail.erase(0, tail.size() - k);
}

}  // namespace

struct runtime_session::state : std::enable_shared_from_this<state> {
    state(session_runtime& rt, std::unique_ptr<session_driver> d, session_sink s, bool blocks)
        : driver(std::move(d)),
          sink(s),
          host(rt.host()),
          workers(rt.workers()),
          end_blocks(blocks) {}

    const std::unique_ptr<session_driver> driver;
    const session_sink sink;
    const host_services host;
    // The plugin's pool: it outlives every job (it joins them when the plugin goes).
    worker_pool& workers;
    const bool end_blocks;  // the plan's: classify/clean_up go to a worker

    std::string head, tail;  // the event loop's thread only, until the process ends

    std::atomic<bool> closing{false};
    std::atomic<bool> runtime_signalled{false};

    std::mutex sink_mutex;  // held while the host's sink runs, so detaching waits for it
    bool detached = false;

    std::mutex mutex;
    std::condition_variable changed;
    bool done = false;  // the exit went to the host (or was dropped, once detached)

    // The event loop's thread.
    void output(berth_stream stream, std::span<const std::uint8_t> data) {
        if (stream != BERTH_STREAM_STDOUT) keep_words(head, tail, data);
        std::lock_guard lock(sink_mutex);
        if (!detached) sink.output(stream, data);
    }

    // The event loop's thread, after the last output: on to a worker, which may block.
    void process_ended(const exit_status& e) {
        runtime_end end{e, std::move(head), std::move(tail), closing, runtime_signalled};
        if (!end_blocks) return finish(end);
        workers.post([self = shared_from_this(), end = std::move(end)] { self->finish(end); });
    }

    // A worker: classify, clean up, then (and only then) tell the host.
    void finish(const runtime_end& end) {
        exit_status status = end.process;
        try {
            status = driver->classify(end);
        } catch (const std::exception& ex) {
            host.log(BERTH_LOG_WARN, std::string("classifying the session's end: ") + ex.what());
        } catch (...) {
            host.log(BERTH_LOG_WARN, "classifying the session's end: unknown exception");
        }
        try {
            driver->clean_up(status, end);
        } catch (const std::exception& ex) {
            host.log(BERTH_LOG_ERROR, std::string("cleaning up after the session: ") + ex.what());
            status.reason += (status.reason.empty() ? "" : "; ") + std::string(ex.what());
        } catch (...) {
            status.reason += (status.reason.empty() ? "" : "; ") + std::string("clean-up failed");
        }
        // The ABI's rule: exactly one of an exit code and a signal, unless failed.
        if (status.term_signal > 0) status.exit_code = -1;
        if (!status.failed && status.term_signal <= 0 && status.exit_code < 0) {
            status.failed = true;
            status.reason +=
                (status.reason.empty() ? "" : "; ") + std::string("exit status unknown");
        }
        {
            std::lock_guard lock(sink_mutex);
            t_delivering = this;
            if (!detached) sink.exit(status);
            t_delivering = nullptr;
        }
        std::lock_guard lock(mutex);
        done = true;
        changed.notify_all();  // under the lock: a waiter may destroy the handle right after
    }

    bool wait_done(milliseconds timeout) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [this] { return done; });
    }
};

std::unique_ptr<runtime_session> session_runtime::open(std::unique_ptr<session_driver> driver,
                                                       session_sink sink) {
    if (!driver) throw error(BERTH_ERR_INTERNAL, "session_runtime::open without a driver");
    session_plan plan = driver->prepare();
    const std::string tool = plan.process.argv.empty() ? std::string() : plan.process.argv.front();
    auto st =
        std::make_shared<runtime_session::state>(*this, std::move(driver), sink, plan.end_blocks);

    process_callbacks callbacks;
    callbacks.on_output = [st](berth_stream stream, std::span<const std::uint8_t> data) {
        st->output(stream, data);
    };
    callbacks.on_exit = [st](const exit_status& e) { st->process_ended(e); };
    std::unique_ptr<process_session> process;
    try {
        process = process_session::start(loop_, std::move(plan.process), std::move(callbacks));
    } catch (const error& e) {
        st->driver->abandon();
        if (plan.install_hint.empty()) throw;  // the user's own command: COMMAND_NOT_FOUND stays
        throw tool_error(e, tool, plan.install_hint);
    } catch (...) {
        st->driver->abandon();
        throw;
    }
    st->driver->started(*process);
    return std::unique_ptr<runtime_session>(new runtime_session(
        std::move(st), std::move(process), std::move(plan.target), plan.clean_up_bound));
}

runtime_session::runtime_session(std::shared_ptr<state> s, std::unique_ptr<process_session> p,
                                 std::string target, std::chrono::milliseconds clean_up_bound)
    : state_(std::move(s)),
      process_(std::move(p)),
      target_(std::move(target)),
      clean_up_bound_(clean_up_bound) {}

runtime_session::~runtime_session() {
    if (t_delivering == state_.get()) {
        // Destroyed from inside its own on_exit: this thread holds sink_mutex and is the one
        // that would mark the delivery done. The process has ended; nothing more to wait for.
        state_->detached = true;
        process_.reset();
        return;
    }
    if (!state_->wait_done(milliseconds(0))) {
        try {
            close(k_default_grace);
        } catch (const std::exception& e) {
            state_->host.log(BERTH_LOG_ERROR, std::string("closing the session: ") + e.what());
        }
    }
    {
        std::lock_guard lock(state_->sink_mutex);
        state_->detached = true;
    }
    // Bounded; a process that survived even SIGKILL is left to the event loop, which holds
    // the shared state until it goes.
    process_.reset();
}

void runtime_session::write(std::span<const std::uint8_t> data) {
    state_->driver->wait_ready(*process_);
    process_->write(data);
}

void runtime_session::close_stdin() {
    state_->driver->wait_ready(*process_);
    process_->close_stdin();
}

void runtime_session::resize(std::uint16_t rows, std::uint16_t cols) {
    if (!process_->tty())
        throw error(BERTH_ERR_STATE, "the session has no terminal to resize (open it with tty)");
    state_->driver->wait_ready(*process_);
    process_->resize(rows, cols);
}

void runtime_session::signal(int signo) {
    if (signo <= 0 || signo >= NSIG)
        throw error(BERTH_ERR_INVALID_ARGUMENT, "signal " + std::to_string(signo) +
                                                    " is not a signal number (1 to " +
                                                    std::to_string(NSIG - 1) + ")");
    if (process_->finished()) return;
    state_->driver->wait_ready(*process_);
    state_->driver->signal(signo, *process_);
}

void runtime_session::close(milliseconds grace) {
    state& s = *state_;
    if (s.wait_done(milliseconds(0))) return;
    s.closing = true;
    const auto grace_end = clock::now() + grace;
    if (!process_->finished() && grace.count() > 0) {
        // Input first: an interactive shell (PID 1 in its container, where SIGTERM does not
        // reach it) ends at end of input, with exit status 0, on every runtime alike.
        try {
            s.driver->wait_ready(*process_);
            process_->close_stdin();
        } catch (const error&) {
            // Input already closed or gone: the signals below decide.
        }
        (void)process_->wait(std::min(grace / 2, k_eof_wait));
    }
    if (!process_->finished()) stop_process(grace_end);
    if (!s.wait_done(clean_up_bound_))
        throw error(BERTH_ERR_TIMEOUT, "the session did not finish cleaning up within " +
                                           std::to_string(clean_up_bound_.count()) + " ms");
}

void runtime_session::stop_process(clock::time_point grace_end) {
    state& s = *state_;
    bool reached_once = false;
    // Asks the driver (again while it says not_yet, until `until`); falls back to the runtime
    // process unless the command was reached before.
    const auto send = [&](int signo, clock::time_point deadline) {
        while (true) {
            stop_result r = stop_result::out_of_reach;
            try {
                r = s.driver->stop(signo, *process_);
            } catch (const std::exception& e) {
                s.host.log(BERTH_LOG_DEBUG,
                           "stopping with signal " + std::to_string(signo) + ": " + e.what());
            }
            if (r == stop_result::reached) {
                reached_once = true;
                return;
            }
            if (r == stop_result::not_yet && clock::now() < deadline) {
                if (process_->wait(std::min(k_stop_poll, until(deadline)))) return;
                continue;
            }
            break;
        }
        if (reached_once) return;  // the command got an earlier signal and is going
        s.runtime_signalled = true;
        process_->signal_group(signo);
        process_->signal(signo);
    };
    if (clock::now() < grace_end) {
        send(SIGTERM, grace_end);
        // An interactive shell ignores SIGTERM but leaves on a hang-up, as on a real terminal.
        if (process_->tty() && !process_->finished()) send(SIGHUP, clock::now());
        if (process_->wait(until(grace_end))) return;
    }
    const auto kill_end = clock::now() + k_kill_wait;
    send(SIGKILL, kill_end);
    if (process_->wait(until(kill_end))) return;
    // The runtime itself does not end although its command was killed: end it.
    s.runtime_signalled = true;
    (void)process_->terminate(milliseconds(0));
}

std::int64_t runtime_session::pid() const { return process_->pid(); }

bool runtime_session::tty() const { return process_->tty(); }

}  // namespace berth::sdk
