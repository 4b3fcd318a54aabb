#include "containerd_session.hpp"

#include <fcntl.h>
#include <stdlib.h>  // mkdtemp
#include <termios.h>
#include <unistd.h>
#include <berth/sdk/random_hex.hpp>
#include <berth/sdk/run_command.hpp>
#include <berth/sdk/worker.hpp>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "containerd_argv.hpp"
#include "containerd_errors.hpp"

namespace berth::plugins::containerd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds k_default_grace{2000};
// `ctr run -d` may have to unpack the image first.
constexpr std::chrono::seconds k_start_margin{60};
// Past the connect timeout, how long a `ctr task kill` may take.
constexpr std::chrono::seconds k_kill_margin{5};
// How long a signal is retried while the exec process does not exist (yet).
constexpr std::chrono::seconds k_signal_retry{2};
// After SIGKILL went to the command, how long ctr gets to notice and exit.
constexpr std::chrono::milliseconds k_kill_wait{3000};
// Bytes of stderr (or terminal output) kept to read ctr's error line from.
constexpr std::size_t k_tail_bytes = 4096;

std::string random_id() { return "berth-" + sdk::random_hex(12); }

// A folder of the session's own for ctr's FIFOs: ctr leaves them behind when it is killed.
fs::path make_fifo_dir(const std::string& parent) {
    fs::path base;
    if (!parent.empty()) {
        base = parent;
    } else {
        std::error_code ec;
        base = fs::temp_directory_path(ec);
        if (ec) base = "/tmp";
    }
    std::string pattern = (base / "berth-ctr-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw sdk::error(BERTH_ERR_RUNTIME, "cannot make a FIFO folder in " + base.string() +
                                                " (option 'fifo_dir'): " + std::strerror(errno));
    return pattern;
}

// ctr switches its terminal to raw mode only once it has reached the daemon (10-50 ms in).
// Until then the terminal's own line discipline cooks the input: it echoes it a second time
// and turns an early ^D into an EOF for ctr, which ctr never passes on (the session hangs);
// its output processing also doubles every CR. Raw from the start, the terminal only relays
// bytes and the container's terminal does the cooking. The process helper returns only after
// the exec (Boost.Process waits for it), so ctr's stdin is the session's terminal by now.
void make_terminal_raw(std::int64_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/fd/0";
    const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return;  // ctr is gone already; its exit says why
    termios t{};
    if (::isatty(fd) != 0 && ::tcgetattr(fd, &t) == 0) {
        ::cfmakeraw(&t);
        (void)::tcsetattr(fd, TCSANOW, &t);
    }
    ::close(fd);
}

}  // namespace

struct containerd_session::core {
    core(session_config c, sdk::session_sink s, sdk::host_services h,
         std::shared_ptr<leftover_list> l)
        : config(std::move(c)), sink(s), host(h), leftovers(std::move(l)) {}

    session_config config;
    std::string exec_id;
    fs::path fifo_dir;
    sdk::session_sink sink;
    sdk::host_services host;
    std::shared_ptr<leftover_list> leftovers;
    std::string tail;  // event loop thread only, until the exit hands it over

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    bool closing = false;
    bool delivered = false;

    sdk::worker worker;  // last: its thread runs jobs that use every member above

    [[nodiscard]] const std::string& container() const { return config.target(); }
    [[nodiscard]] std::chrono::milliseconds call_timeout(std::chrono::seconds margin) const {
        return config.conn.connect_timeout + margin;
    }

    void on_output(berth_stream stream, std::span<const std::uint8_t> data) {
        sink.output(stream, data);
        // Pipes: ctr's errors go to stderr. A terminal carries everything.
        if (stream == BERTH_STREAM_STDOUT) return;
        tail.append(reinterpret_cast<const char*>(data.data()), data.size());
        if (tail.size() > 2 * k_tail_bytes) tail.erase(0, tail.size() - k_tail_bytes);
    }

    // On the loop's thread: hand over to the worker, which may block on ctr.
    void on_exit(const sdk::process_exit& e) {
        worker.post([this, e, t = std::move(tail)] { finish(e, t); });
    }

    // On the worker: classify, clean up, then (and only then) tell the host.
    void finish(const sdk::process_exit& e, const std::string& output_tail) {
        sdk::exit_status status =
            session_exit(e.exit_code, e.term_signal, output_tail, config, container());
        bool closed = false;
        {
            std::lock_guard lock(mutex);
            closed = closing;
        }
        // The command was killed by a signal the session did not send through close: did
        // its container go with it (`ctr task kill` of the task)? Asked before clean-up
        // removes a run-mode container.
        if (!closed && e.term_signal == 0 && status.term_signal > 0 && !status.failed)
            explain(status);
        // ctr removes its exec process itself when it ends normally; not when it was killed,
        // lost the daemon, or the session is being closed.
        const bool run = config.run_mode();
        if (run || e.term_signal > 0 || status.failed || closed) {
            leftover item{config.conn, container(), run ? std::string() : exec_id};
            const cleanup_outcome outcome = remove_leftover(item);
            if (outcome.done) {
                if (run) host.add_counter("containers_removed_total", 1);
            } else {
                host.add_counter("cleanup_failures_total", 1);
                std::string what = "could not remove " + outcome.problem;
                if (outcome.unavailable) {
                    what +=
                        "; it is removed when this plugin sees containerd answer again, "
                        "or by hand: " +
                        removal_hint(item);
                    leftovers->add(std::move(item));
                }
                host.log(BERTH_LOG_WARN, what);
                if (status.failed) status.reason += "; " + what;
            }
        }
        std::error_code ec;
        fs::remove_all(fifo_dir, ec);
        if (ec)
            host.log(BERTH_LOG_WARN, "cannot remove " + fifo_dir.string() + ": " + ec.message());
        sink.exit(status);
        std::lock_guard lock(mutex);
        delivered = true;
        changed.notify_all();  // under the lock: a waiter may destroy us right after
    }

    void explain(sdk::exit_status& status) const {
        try {
            const sdk::command_result r =
                sdk::run_command(list_tasks(config.conn), call_timeout(k_kill_margin));
            if (r.ok()) {
                explain_signal(status, r.out, container());
                return;
            }
            host.log(BERTH_LOG_DEBUG, "ctr tasks ls after a signal: " + r.message());
        } catch (const std::exception& ex) {
            host.log(BERTH_LOG_DEBUG, std::string("ctr tasks ls after a signal: ") + ex.what());
        }
    }

    bool wait_delivered(std::chrono::milliseconds timeout) const {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [this] { return delivered; });
    }

    // Creates the run-mode container; on failure removes whatever ctr left and throws.
    void create_container() {
        const argv command = run_detached(config, container());
        host.log(BERTH_LOG_DEBUG, "creating container " + container());
        const sdk::command_result r = sdk::run_command(command, call_timeout(k_start_margin));
        if (r.ok()) {
            host.add_counter("containers_created_total", 1);
            return;
        }
        ctr_failure f;
        if (r.timed_out) {
            f.message = "`ctr run` of image '" + *config.image + "' did not finish within " +
                        std::to_string(call_timeout(k_start_margin).count()) + " ms";
        } else {
            std::string line = ctr_error_line(r.err);
            f = classify(line.empty() ? r.message() : line, ctr_phase::run, config, container());
        }
        // A failed `ctr run` can leave the container (and snapshot) behind, e.g. when the
        // init cannot start. A taken id is someone else's; an unreachable daemon made nothing.
        if (f.kind != failure_kind::already_exists && f.kind != failure_kind::daemon_unreachable) {
            const cleanup_outcome c = remove_leftover({config.conn, container(), {}});
            if (!c.done) host.log(BERTH_LOG_WARN, "after a failed ctr run: " + c.problem);
        }
        throw sdk::error(f.status, f.message);
    }
};

containerd_session::containerd_session(sdk::event_loop& loop, session_config config,
                                       sdk::session_sink sink, sdk::host_services host,
                                       std::shared_ptr<leftover_list> leftovers) {
    if (config.run_mode() && config.name.empty()) config.name = random_id();
    core_ = std::make_unique<core>(std::move(config), sink, host, std::move(leftovers));
    core& c = *core_;
    c.exec_id = random_id();
    c.fifo_dir = make_fifo_dir(c.config.fifo_dir);
    try {
        start(loop);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(c.fifo_dir, ec);
        throw;
    }
}

void containerd_session::start(sdk::event_loop& loop) {
    core& c = *core_;
    if (c.config.run_mode()) c.create_container();

    sdk::process_spec spec;
    spec.argv = exec_command(c.config, c.container(), c.exec_id, c.fifo_dir.string());
    spec.tty = c.config.tty;
    spec.rows = c.config.rows;
    spec.cols = c.config.cols;
    sdk::process_callbacks callbacks;
    callbacks.on_output = [&c](berth_stream stream, std::span<const std::uint8_t> data) {
        c.on_output(stream, data);
    };
    callbacks.on_exit = [&c](const sdk::process_exit& e) { c.on_exit(e); };
    try {
        process_ = sdk::process_session::start(loop, std::move(spec), std::move(callbacks));
        if (c.config.tty) make_terminal_raw(process_->pid());
    } catch (...) {
        if (c.config.run_mode()) {
            const cleanup_outcome out = remove_leftover({c.config.conn, c.container(), {}});
            if (!out.done) c.host.log(BERTH_LOG_WARN, "after a failed start: " + out.problem);
        }
        throw;
    }
}

containerd_session::~containerd_session() {
    if (!process_) return;  // the constructor threw
    try {
        close(k_default_grace);
    } catch (const std::exception& e) {
        core_->host.log(BERTH_LOG_ERROR, std::string("closing the session: ") + e.what());
    }
    if (!process_->finished() || !core_->wait_delivered(0ms)) {
        // ctr survived SIGKILL or clean-up hangs past its bounds: its callbacks may still
        // run, so what they use must stay. A leak beats a use-after-free.
        core_->host.log(BERTH_LOG_ERROR, "ctr pid " + std::to_string(process_->pid()) +
                                             " did not end; leaking its session state");
        (void)process_.release();
        (void)core_.release();
    }
}

void containerd_session::write(std::span<const std::uint8_t> data) { process_->write(data); }

void containerd_session::close_stdin() { process_->close_stdin(); }

void containerd_session::resize(std::uint16_t rows, std::uint16_t cols) {
    // The terminal's size change reaches ctr as SIGWINCH, and ctr resizes the exec process's
    // console (not the container's init).
    process_->resize(rows, cols);
}

void containerd_session::signal(int signo) {
    if (signo <= 0 || signo >= NSIG)
        throw sdk::error(BERTH_ERR_INVALID_ARGUMENT, "no such signal: " + std::to_string(signo));
    if (process_->finished()) return;
    send_through_ctr(signo);
}

// Not to ctr: it forwards signals only once the process runs (one arriving before kills ctr
// and orphans the process), and never on a terminal or for SIGKILL. containerd delivers.
void containerd_session::send_through_ctr(int signo) const {
    const core& c = *core_;
    const auto deadline = std::chrono::steady_clock::now() + k_signal_retry;
    while (true) {
        const sdk::command_result r =
            sdk::run_command(kill_exec(c.config.conn, c.container(), c.exec_id, signo),
                             c.call_timeout(k_kill_margin));
        if (r.ok()) return;
        if (r.timed_out)
            throw sdk::error(BERTH_ERR_TIMEOUT,
                             "`ctr task kill` did not finish within " +
                                 std::to_string(c.call_timeout(k_kill_margin).count()) + " ms");
        const std::string line = ctr_error_line(r.err);
        const ctr_failure f =
            classify(line.empty() ? r.message() : line, ctr_phase::other, c.config, c.container());
        if (f.kind != failure_kind::process_not_found)
            throw sdk::error(f.status,
                             "cannot send signal " + std::to_string(signo) + ": " + f.message);
        // Not there: either not started yet (ctr has just been spawned) or already gone, in
        // which case ctr ends in a moment. Try again until one of the two shows.
        if (process_->wait(50ms) || std::chrono::steady_clock::now() > deadline) return;
    }
}

void containerd_session::kill_command() const {
    const core& c = *core_;
    // Run mode: SIGKILL to the init ends everything in the container's PID namespace.
    const argv command = c.config.run_mode()
                             ? kill_task(c.config.conn, c.container())
                             : kill_exec(c.config.conn, c.container(), c.exec_id, SIGKILL);
    try {
        (void)sdk::run_command(command, c.call_timeout(k_kill_margin));
    } catch (const std::exception&) {
        // ctr itself is killed next, and clean-up retries; nothing more to do here.
    }
}

void containerd_session::close(std::chrono::milliseconds grace) {
    core& c = *core_;
    {
        std::lock_guard lock(c.mutex);
        c.closing = true;
    }
    if (!process_->finished()) {
        bool daemon_answers = true;
        if (grace.count() > 0) {
            try {
                send_through_ctr(SIGTERM);
                // An interactive shell ignores SIGTERM; a hangup is what a closed terminal sends.
                if (c.config.tty) send_through_ctr(SIGHUP);
            } catch (const sdk::error& e) {
                daemon_answers = e.status() != BERTH_ERR_UNAVAILABLE;
                c.host.log(BERTH_LOG_DEBUG, std::string("SIGTERM on close: ") + e.what());
            }
            if (daemon_answers) (void)process_->wait(grace);
        }
        if (!process_->finished()) {
            // Without a daemon nothing reaches the command; ctr itself is all there is to end
            // (clean-up then keeps what is left for later).
            if (daemon_answers) kill_command();
            if (!daemon_answers || !process_->wait(k_kill_wait)) (void)process_->terminate(0ms);
        }
    }
    // Up to three clean-up calls, each bounded.
    const auto budget = 3 * c.call_timeout(std::chrono::seconds(10)) + 5s;
    if (!c.wait_delivered(budget))
        throw sdk::error(BERTH_ERR_TIMEOUT, "the session in container " + c.container() +
                                                " did not finish cleaning up within " +
                                                std::to_string(budget.count()) + " ms");
}

std::int64_t containerd_session::pid() const { return process_->pid(); }

}  // namespace berth::plugins::containerd
