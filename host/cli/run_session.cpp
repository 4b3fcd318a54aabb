// `berth run`: one session in-process, wired to this process's stdin/stdout/stderr.
//
// One thread (this one) polls stdin, a self-pipe fed by signal handlers, and an eventfd the
// session's exit observer raises; output is written by the plugin's thread as it arrives
// (blocking there is the back-pressure), and nothing else keeps it (the host for `run` has an
// output buffer of capacity 0). SIGINT, SIGTERM and SIGHUP to berth end the session: it is
// closed with --grace-ms (input closed, SIGTERM, SIGKILL once the grace has passed); SIGQUIT
// is passed on, SIGWINCH resizes. berth exits with the session's status: its exit code, 128+N
// for signal N, 125 when the session failed as a whole.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "terminal.hpp"

namespace berth::cli {
namespace {

int g_signal_pipe_w = -1;

extern "C" void on_signal(int signo) {
    const int saved = errno;
    const auto b = static_cast<unsigned char>(signo);
    (void)!::write(g_signal_pipe_w, &b, 1);
    errno = saved;
}

constexpr std::array k_forwarded = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH};

// The signals that ask berth itself to stop: it ends the session, with the grace it was given.
bool ends_the_session(int signo) noexcept {
    return signo == SIGINT || signo == SIGTERM || signo == SIGHUP;
}

// Installs the forwarding handlers for the lifetime of the run; restores the old ones.
class signal_forwarding {
public:
    signal_forwarding() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
        read_fd_ = fds[0];
        g_signal_pipe_w = fds[1];
        struct sigaction sa {};
        sa.sa_handler = &on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        for (std::size_t i = 0; i < k_forwarded.size(); ++i)
            ::sigaction(k_forwarded[i], &sa, &saved_[i]);
    }
    ~signal_forwarding() {
        for (std::size_t i = 0; i < k_forwarded.size(); ++i)
            ::sigaction(k_forwarded[i], &saved_[i], nullptr);
        if (read_fd_ >= 0) ::close(read_fd_);
        if (g_signal_pipe_w >= 0) ::close(g_signal_pipe_w);
        g_signal_pipe_w = -1;
    }
    signal_forwarding(const signal_forwarding&) = delete;
    signal_forwarding& operator=(const signal_forwarding&) = delete;
    [[nodiscard]] int fd() const noexcept { return read_fd_; }

private:
    int read_fd_ = -1;
    std::array<struct sigaction, k_forwarded.size()> saved_{};
};

// When stdout is a pipe (`berth run ... | cat`), makes it hold 256 KiB like the session's own
// output pipe (sdk/src/output_pipe.hpp), never smaller than it is: the output observer's writes
// then rarely block part-way, the reader takes bigger chunks, and `berth run local -- head -c 1G
// /dev/zero | cat` came closer to the raw pipe (11 pairs at load 5: 0.70 -> 0.74 of it; 7
// pairs: 0.86 -> 1.07). Best effort: over the user's pipe budget the size stays.
void grow_stdout_pipe() noexcept {
    constexpr int k_bytes = 256 << 10;
    const int now = ::fcntl(STDOUT_FILENO, F_GETPIPE_SZ);
    if (now > 0 && now < k_bytes) (void)::fcntl(STDOUT_FILENO, F_SETPIPE_SZ, k_bytes);
}

// An eventfd raised from any thread; closed when it goes.
class exit_event {
public:
    exit_event() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
    ~exit_event() {
        if (fd_ >= 0) ::close(fd_);
    }
    exit_event(const exit_event&) = delete;
    exit_event& operator=(const exit_event&) = delete;
    [[nodiscard]] int fd() const noexcept { return fd_; }
    void raise() const noexcept {
        const std::uint64_t one = 1;
        (void)!::write(fd_, &one, sizeof one);
    }

private:
    int fd_;
};

}  // namespace

int run(host::host& h, run_request request) {
    auto plugin = h.find(request.runtime);
    if (!plugin) {
        std::string known;
        for (const auto& p : h.plugins()) known += (known.empty() ? "" : ", ") + p->runtime();
        std::cerr << "berth: unknown runtime '" << request.runtime
                  << "' (available: " << (known.empty() ? "none" : known) << ")\n";
        return k_exit_usage;
    }
    if (request.command.empty() && !request.options_json) {
        // Every runtime needs to know what to run; say so before asking the plugin.
        std::cerr << "berth: no command given: put it after --, e.g. berth run " << request.runtime
                  << " -- sh -c 'echo hi'\n";
        return k_exit_usage;
    }
    const bool interactive = request.tty && ::isatty(STDIN_FILENO) != 0;
    auto options = build_options_json(request, plugin->options_schema());
    if (!options) {
        std::cerr << "berth: " << options.err().message << "\n";
        return exit_status_for(options.err());
    }
    const std::string& options_json = options.value();

    ::signal(SIGPIPE, SIG_IGN);  // a closed stdout shows as EPIPE, not death
    grow_stdout_pipe();
    const host::output_observer observer = [](registry::stream s, std::string_view bytes) {
        write_all(s == registry::stream::err ? STDERR_FILENO : STDOUT_FILENO, bytes.data(),
                  bytes.size());
    };
    signal_forwarding signals;
    // Raised by the exit observer on the plugin's thread once the record is final. Outlives the
    // session: it is closed after the session has been destroyed (no callback after that).
    const exit_event exited;
    auto opened =
        h.open_session(request.runtime, options_json, observer, [&exited] { exited.raise(); });
    if (!opened) {
        std::cerr << "berth: " << opened.err().message << "\n";
        return exit_status_for(opened.err());
    }
    auto session = opened.value();
    const auto started = session->entry()->snapshot();
    spdlog::debug("session {} started, pid {}", session->id(), started.pid);
    // The terminal takes the user's size as soon as the plugin says the session has one (any
    // plugin, whatever its options are called), the way a SIGWINCH would resize it later.
    if (interactive && started.tty)
        if (auto size = terminal_size(STDIN_FILENO))
            if (auto r = session->resize(size->first, size->second); !r)
                spdlog::debug("could not size the terminal: {}", r.err().message);

    raw_mode raw(interactive ? STDIN_FILENO : -1);
    bool stdin_open = true;
    bool closed = false;
    std::array<char, 64 * 1024> buf{};
    while (true) {
        std::array<pollfd, 3> fds{{{exited.fd(), POLLIN, 0},
                                   {signals.fd(), POLLIN, 0},
                                   {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}}};
        // The exit observer raises exited; the timeout only bounds the wait should the plugin
        // never report the end (then the record is checked).
        const int ready = ::poll(fds.data(), fds.size(), 1000);
        if (ready < 0 && errno != EINTR) break;
        if ((fds[0].revents & POLLIN) != 0) break;
        if (ready == 0 && registry::is_final(session->entry()->state())) break;
        if ((fds[1].revents & POLLIN) != 0) {
            unsigned char signo = 0;
            while (::read(signals.fd(), &signo, 1) == 1) {
                if (signo == SIGWINCH) {
                    if (auto size = terminal_size(STDIN_FILENO))
                        (void)session->resize(size->first, size->second);
                } else if (ends_the_session(signo)) {
                    if (closed) continue;
                    closed = true;
                    // Blocks until the session ended (bounded by the grace and the plugin's
                    // clean-up); its output keeps arriving on the plugin's thread meanwhile.
                    const std::string why = std::string("berth got SIG") + ::sigabbrev_np(signo);
                    if (auto r = session->close(std::chrono::milliseconds(request.grace_ms),
                                                "closed: " + why);
                        !r)
                        spdlog::warn("could not close the session on {}: {}", why, r.err().message);
                } else if (auto r = session->signal(signo); !r) {
                    spdlog::warn("could not forward signal {}: {}", signo, r.err().message);
                }
            }
        }
        if (stdin_open && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
            if (n > 0) {
                if (auto r =
                        session->write(std::string_view(buf.data(), static_cast<std::size_t>(n)));
                    !r) {
                    spdlog::debug("stdin no longer accepted: {}", r.err().message);
                    stdin_open = false;
                }
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                stdin_open = false;
                if (auto r = session->close_input(); !r)
                    spdlog::debug("close stdin: {}", r.err().message);
            }
        }
    }
    (void)session->entry()->wait_ended(std::chrono::seconds(10));

    const auto record = session->entry()->snapshot();
    h.forget_session(session->id());
    session.reset();
    raw.restore();  // before printing anything of our own
    if (record.state == registry::session_state::failed || registry::failed(record))
        std::cerr << "berth: session failed: "
                  << (record.reason.empty() ? "no exit status" : record.reason) << "\n";
    return registry::shell_status(record).value_or(k_exit_runtime_failure);
}

}  // namespace berth::cli
