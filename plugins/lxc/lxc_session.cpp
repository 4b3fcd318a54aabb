#include "lxc_session.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "lxc_argv.hpp"
#include "lxc_diagnosis.hpp"
#include "lxc_tools.hpp"

namespace berth::plugins::lxc {
namespace {

using std::chrono::milliseconds;

// lxc-attach prints its own errors before the command runs: the start of the output is enough.
constexpr std::size_t k_early_output = 16 * 1024;
constexpr milliseconds k_default_grace{2000};
// How long signal() and the first input wait for lxc-attach to have forked the command (it
// takes a few milliseconds).
constexpr milliseconds k_attach_wait{2000};

// What /proc/PID/stat says about a process; state "" when it is gone.
struct proc_stat {
    std::string state;  // R, S, D, Z, X, ...
    long ppid = -1;
    unsigned long flags = 0;  // PF_* bits
};

proc_stat read_stat(long pid) {
    proc_stat st;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(in, line);
    const auto paren = line.rfind(')');  // comm may hold spaces and parentheses
    if (paren == std::string::npos) return st;
    std::istringstream rest(line.substr(paren + 1));
    long skip = 0;
    rest >> st.state >> st.ppid;
    for (int i = 0; i < 4; ++i) rest >> skip;  // pgrp, session, tty_nr, tpgid
    rest >> st.flags;
    if (!rest) st.state.clear();
    return st;
}

bool gone(const proc_stat& st) { return st.state.empty() || st.state == "Z" || st.state == "X"; }

// The parent pid of a live process, or -1.
pid_t parent_of(pid_t pid) {
    const auto st = read_stat(pid);
    return gone(st) ? -1 : static_cast<pid_t>(st.ppid);
}

// Signals `pid` only while it is still a child of `parent`: the pidfd pins the process, and
// the parent check after opening it rules out a recycled pid.
void signal_child(pid_t parent, pid_t pid, int signo) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return;  // already gone
    if (parent_of(pid) == parent) (void)::syscall(SYS_pidfd_send_signal, fd, signo, nullptr, 0);
    ::close(fd);
}

// True while `pid` runs and is not on its way out. A container being stopped kills its
// processes from its init's exit path, so at that moment LXC may still call it RUNNING, but the
// init already carries PF_EXITING (or is a zombie, or gone).
bool init_alive(long pid) {
    constexpr unsigned long k_pf_exiting = 0x4;
    if (pid <= 0) return false;
    const auto st = read_stat(pid);
    return !gone(st) && (st.flags & k_pf_exiting) == 0;
}

std::string describe(const sdk::process_exit& e) {
    return e.term_signal > 0 ? "lxc-attach killed by signal " + std::to_string(e.term_signal)
                             : "exit status " + std::to_string(e.exit_code);
}

}  // namespace

lxc_session::lxc_session(sdk::event_loop& loop, sdk::host_services host, const lxc_options& options,
                         std::string target, owned_container owned, sdk::session_sink sink)
    : host_(host),
      sink_(sink),
      lxcpath_(options.lxcpath),
      target_(std::move(target)),
      owned_(std::move(owned)),
      tty_(options.tty) {
    sdk::process_spec spec;
    spec.argv = attach_argv(options, target_);
    spec.tty = options.tty;
    spec.rows = options.rows;
    spec.cols = options.cols;
    // lxc-attach keeps its caller's working directory when the container has the same path;
    // start from / so the host's cwd never decides where the command runs.
    spec.working_dir = "/";

    sdk::process_callbacks callbacks;
    callbacks.on_output = [this](berth_stream stream, std::span<const std::uint8_t> data) {
        on_output(stream, data);
    };
    callbacks.on_exit = [this](const sdk::process_exit& e) {
        worker_.post([this, e, early = std::move(early_output_)] { finish(e, early); });
    };
    try {
        process_ = sdk::process_session::start(loop, std::move(spec), std::move(callbacks));
    } catch (const sdk::error& e) {
        if (!owned_.name.empty())
            (void)remove_container(lxcpath_, owned_.name, owned_.stop_timeout, owned_.destroy);
        // "command not found: lxc-attach" would read as the user's command missing.
        if (e.status() == BERTH_ERR_NOT_FOUND || e.status() == BERTH_ERR_PERMISSION)
            throw sdk::error(BERTH_ERR_UNAVAILABLE, std::string("cannot run lxc-attach (") +
                                                        e.what() + "): install the lxc package");
        throw;
    } catch (...) {
        if (!owned_.name.empty())
            (void)remove_container(lxcpath_, owned_.name, owned_.stop_timeout, owned_.destroy);
        throw;
    }
}

lxc_session::~lxc_session() {
    if (worker_.on_worker_thread()) return;  // misuse (destroyed from on_exit); cannot wait
    try {
        close(k_default_grace);
    } catch (const std::exception& e) {
        host_.log(BERTH_LOG_ERROR, "closing the session in " + target_ + ": " + e.what());
    }
}

void lxc_session::on_output(berth_stream stream, std::span<const std::uint8_t> data) {
    if (stream != BERTH_STREAM_STDOUT && early_output_.size() < k_early_output) {
        const std::size_t n = std::min(data.size(), k_early_output - early_output_.size());
        early_output_.append(reinterpret_cast<const char*>(data.data()), n);
    }
    sink_.output(stream, data);
}

void lxc_session::wait_terminal_ready() {
    if (!tty_ || terminal_ready_) return;
    // lxc-attach switches its terminal to raw mode with TCSAFLUSH, which throws away whatever
    // was typed before (and a pending EOF). It does so before it forks the command, so input
    // is safe once the command process exists.
    const auto deadline = std::chrono::steady_clock::now() + k_attach_wait;
    while (attached_pids().empty() && !process_->finished() &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(1));
    terminal_ready_ = true;
}

void lxc_session::write(std::span<const std::uint8_t> data) {
    wait_terminal_ready();
    process_->write(data);
}

void lxc_session::close_stdin() {
    wait_terminal_ready();
    process_->close_stdin();
}

void lxc_session::resize(std::uint16_t rows, std::uint16_t cols) {
    wait_terminal_ready();  // before, lxc-attach has not read the size yet nor watches SIGWINCH
    process_->resize(rows, cols);
}

std::int64_t lxc_session::pid() const { return process_->pid(); }

std::vector<pid_t> lxc_session::attached_pids() const {
    std::vector<pid_t> pids;
    const auto attach = static_cast<pid_t>(process_->pid());
    // Our own child until the SDK reaps it; after that the pid may belong to someone else.
    if (attach <= 0 || process_->finished() || parent_of(attach) != ::getpid()) return pids;
    const std::string self = std::to_string(attach);
    std::ifstream in("/proc/" + self + "/task/" + self + "/children");
    for (long pid = 0; in >> pid;) pids.push_back(static_cast<pid_t>(pid));
    return pids;
}

void lxc_session::signal(int signo) {
    if (signo <= 0 || signo >= NSIG)
        throw sdk::error(BERTH_ERR_INVALID_ARGUMENT,
                         "signal " + std::to_string(signo) + " is not a valid signal number");
    const auto attach = static_cast<pid_t>(process_->pid());
    auto pids = attached_pids();
    // Right after open, lxc-attach may still be entering the container.
    const auto deadline = std::chrono::steady_clock::now() + k_attach_wait;
    while (pids.empty() && !process_->finished() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(5));
        pids = attached_pids();
    }
    if (pids.empty()) {
        process_->signal(signo);  // no command (yet, or any more): lxc-attach itself
        return;
    }
    for (const pid_t pid : pids) signal_child(attach, pid, signo);
}

void lxc_session::close(std::chrono::milliseconds grace) {
    closing_ = true;
    if (!process_->finished()) {
        const auto attach = static_cast<pid_t>(process_->pid());
        const auto pids = attached_pids();
        if (pids.empty()) {
            (void)process_->terminate(grace);
        } else {
            for (const pid_t pid : pids) {
                signal_child(attach, pid, SIGTERM);
                // A terminal's shell ignores SIGTERM but obeys a hang-up.
                if (tty_) signal_child(attach, pid, SIGHUP);
            }
            if (!process_->wait(grace)) {
                for (const pid_t pid : attached_pids()) signal_child(attach, pid, SIGKILL);
                (void)process_->terminate(milliseconds(0));
            }
        }
    }
    if (!wait_done(cleanup_bound()))
        throw sdk::error(BERTH_ERR_TIMEOUT, "the session in container " + target_ +
                                                " did not end and clean up within " +
                                                std::to_string(cleanup_bound().count() / 1000) +
                                                " s");
    std::lock_guard lock(mutex_);
    if (!cleanup_error_.empty()) throw sdk::error(BERTH_ERR_RUNTIME, cleanup_error_);
}

bool lxc_session::wait_done(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return done_changed_.wait_for(lock, timeout, [this] { return done_; });
}

std::chrono::milliseconds lxc_session::cleanup_bound() const {
    // lxc-attach's end (SIGKILL wait + drain), then lxc-stop, lxc-destroy and the checks.
    return std::chrono::duration_cast<milliseconds>(std::chrono::seconds(10) + owned_.stop_timeout +
                                                    3 * k_tool_timeout);
}

void lxc_session::diagnose(sdk::exit_status& status, const std::string& early_output) const {
    const sdk::process_exit e{status.exit_code, status.term_signal};
    try {
        if (e.term_signal == 0 && e.exit_code == 1) {
            // lxc-attach exits 1 both when it cannot enter and when the command exits 1; only
            // its own error lines tell them apart.
            const auto failure = scan_attach_output(early_output, target_);
            if (!failure.found) return;
            status.failed = true;
            status.reason =
                "lxc-attach could not enter container '" + target_ + "': " + failure.message;
            if (failure.no_init_pid) {
                const container_state state = query_state(lxcpath_, target_);
                if (state != container_state::running)
                    status.reason = not_running_message(target_, state);
            }
        } else if (e.term_signal > 0 || e.exit_code > 128) {
            // Killed: if the container went away under the session, that is the story.
            const auto info = query_info(lxcpath_, target_);
            if (info.state != container_state::running || !init_alive(info.init_pid)) {
                status.failed = true;
                status.reason =
                    "container '" + target_ + "' stopped while the session ran (" +
                    (info.state == container_state::running ? std::string("STOPPING")
                                                            : std::string(to_string(info.state))) +
                    ", " + describe(e) + ")";
            }
        }
    } catch (const std::exception& ex) {
        host_.log(BERTH_LOG_WARN,
                  "could not diagnose the end of lxc-attach into " + target_ + ": " + ex.what());
    }
}

void lxc_session::finish(sdk::process_exit exit, const std::string& early_output) {
    sdk::exit_status status;
    status.exit_code = exit.exit_code;
    status.term_signal = exit.term_signal;
    if (!closing_) diagnose(status, early_output);

    std::string cleanup;
    if (!owned_.name.empty()) {
        cleanup = remove_container(lxcpath_, owned_.name, owned_.stop_timeout, owned_.destroy);
        if (!cleanup.empty()) {
            host_.log(BERTH_LOG_ERROR, cleanup);
            host_.add_counter("cleanup_failures_total", 1);
        }
    }
    sink_.exit(status);
    {
        std::lock_guard lock(mutex_);
        done_ = true;
        cleanup_error_ = std::move(cleanup);
    }
    done_changed_.notify_all();
}

}  // namespace berth::plugins::lxc
