#include "abi10_session.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace berth::abi10 {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

// How long close() lets a command end on its own once its input is closed (a shell at its
// prompt is gone within milliseconds), at most half the grace period.
constexpr auto k_eof_wait = 500ms;
// After SIGKILL, how long the command gets to go.
constexpr auto k_kill_wait = 5s;
// How long a write waits for the command to read its input.
constexpr auto k_write_wait = 10s;
// After the command exited: output still arriving is read until the streams end, or they are
// quiet this long (a background process holds them open), or the bound below passes.
constexpr int k_drain_idle_ms = 100;
constexpr auto k_drain_bound = 2s;

int ms_until(clock::time_point t) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - clock::now());
    return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

}  // namespace

session::session(child c, bool tty, const berth_session_sink& sink)
    : child_(std::move(c)), tty_(tty), sink_(sink), wake_(::eventfd(0, EFD_CLOEXEC)) {
    try {
        if (wake_.get() < 0) throw plugin_error(BERTH_ERR_INTERNAL, "eventfd failed");
        pump_ = std::thread([this] { pump(); });
    } catch (...) {
        // A failed open leaves nothing running.
        ::kill(-child_.pid, SIGKILL);
        ::kill(child_.pid, SIGKILL);
        ::waitpid(child_.pid, nullptr, 0);  // SIGKILL cannot be ignored: this returns at once
        throw;
    }
}

session::~session() {
    if (!ended()) {
        try {
            close(2000ms);  // BERTH_DEFAULT_GRACE_MS, which the 1.0 header does not name yet
        } catch (const plugin_error&) {
            // Gave up on the command; the pump thread has been told to deliver on_exit anyway.
        }
    }
    if (pump_.joinable()) pump_.join();
}

bool session::read_once(int d, berth_stream stream) {
    std::array<std::uint8_t, 65536> buf;
    const ssize_t n = ::read(d, buf.data(), buf.size());
    if (n > 0) {
        sink_.on_output(sink_.ctx, stream, buf.data(), static_cast<std::uint32_t>(n));
        return true;
    }
    // EIO is how a terminal's master says the last slave descriptor closed.
    return n < 0 && (errno == EAGAIN || errno == EINTR);
}

void session::pump() {
    const berth_stream out_stream = tty_ ? BERTH_STREAM_PTY : BERTH_STREAM_STDOUT;
    std::array<pollfd, 4> fds{{{child_.output.get(), POLLIN, 0},
                               {child_.errors.get(), POLLIN, 0},
                               {child_.pidfd.get(), POLLIN, 0},
                               {wake_.get(), POLLIN, 0}}};
    const auto read_ready = [&] {
        if (fds[0].revents != 0 && !read_once(fds[0].fd, out_stream)) fds[0].fd = -1;
        if (fds[1].revents != 0 && !read_once(fds[1].fd, BERTH_STREAM_STDERR)) fds[1].fd = -1;
    };
    // Until the command exits, however long it runs: that is the session.
    while (fds[2].revents == 0 && fds[3].revents == 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
        read_ready();
    }
    berth_exit_status status{};
    status.struct_size = sizeof status;
    if (fds[2].revents != 0) {
        int wstatus = 0;
        {
            std::lock_guard lock(mutex_);
            ::waitpid(child_.pid, &wstatus, 0);  // it has exited: no wait here
            reaped_ = true;
        }
        status.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
        status.term_signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
        // What the command wrote before it went is still in the pipes (or the terminal).
        const auto drain_end = clock::now() + k_drain_bound;
        while ((fds[0].fd >= 0 || fds[1].fd >= 0) && clock::now() < drain_end) {
            if (::poll(fds.data(), 2, k_drain_idle_ms) == 0) break;
            read_ready();
        }
    } else {
        status.exit_code = -1;
        status.failed = 1;
        status.reason = "the command did not end after SIGKILL; berth gave up waiting for it";
    }
    sink_.on_exit(sink_.ctx, &status);
    std::lock_guard lock(mutex_);
    ended_ = true;
    changed_.notify_all();
}

bool session::ended() {
    std::lock_guard lock(mutex_);
    return ended_;
}

bool session::wait_ended(clock::time_point until) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, until, [this] { return ended_; });
}

void session::write(const std::uint8_t* data, std::uint32_t length) {
    std::lock_guard lock(input_mutex_);
    if (ended()) throw plugin_error(BERTH_ERR_STATE, "the session has ended");
    if (input_closed_) throw plugin_error(BERTH_ERR_STATE, "the session's input is closed");
    const auto deadline = clock::now() + k_write_wait;
    for (std::uint32_t done = 0; done < length;) {
        const int d = child_.input.get();
        // send with MSG_NOSIGNAL on the socket: a command that stopped reading makes this
        // fail with EPIPE instead of raising SIGPIPE in the host.
        const ssize_t n = tty_ ? ::write(d, data + done, length - done)
                               : ::send(d, data + done, length - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<std::uint32_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN)
            throw plugin_error(BERTH_ERR_STATE, "the command no longer reads its input");
        pollfd p{d, POLLOUT, 0};
        if (::poll(&p, 1, ms_until(deadline)) == 0)
            throw plugin_error(BERTH_ERR_TIMEOUT, "the command did not read its input within 10 s");
    }
}

void session::close_input() {
    std::lock_guard lock(input_mutex_);
    if (input_closed_) return;
    input_closed_ = true;
    if (!tty_) {
        child_.input.reset();  // end of file on the command's stdin
        return;
    }
    // On a terminal, end of input is the VEOF character at the start of a line.
    termios t{};
    const char eof =
        ::tcgetattr(child_.input.get(), &t) == 0 ? static_cast<char>(t.c_cc[VEOF]) : '\x04';
    (void)!::write(child_.input.get(), &eof, 1);  // fails only when the command is gone
}

void session::close_stdin() {
    if (ended()) throw plugin_error(BERTH_ERR_STATE, "the session has ended");
    close_input();
}

void session::resize(std::uint16_t rows, std::uint16_t cols) {
    if (!tty_) throw plugin_error(BERTH_ERR_STATE, "the session has no terminal to resize");
    const winsize size{rows, cols, 0, 0};
    if (::ioctl(child_.output.get(), TIOCSWINSZ, &size) != 0)
        throw plugin_error(BERTH_ERR_RUNTIME, "cannot resize the terminal");
}

void session::signal(int signo) {
    std::lock_guard lock(mutex_);
    if (reaped_) throw plugin_error(BERTH_ERR_STATE, "the session has ended");
    if (::syscall(SYS_pidfd_send_signal, child_.pidfd.get(), signo, nullptr, 0U) != 0)
        throw plugin_error(errno == EINVAL ? BERTH_ERR_INVALID_ARGUMENT : BERTH_ERR_STATE,
                           "cannot send signal " + std::to_string(signo) + " to the command");
}

void session::signal_group(int signo) {
    std::lock_guard lock(mutex_);
    if (reaped_) return;  // the group's id may name someone else's group now
    ::kill(-child_.pid, signo);
    ::syscall(SYS_pidfd_send_signal, child_.pidfd.get(), signo, nullptr, 0U);
}

void session::close(std::chrono::milliseconds grace) {
    const auto grace_end = clock::now() + grace;
    if (ended()) return;
    close_input();
    if (wait_ended(clock::now() + std::min<std::chrono::milliseconds>(grace / 2, k_eof_wait)))
        return;
    signal_group(SIGTERM);
    // An interactive shell ignores SIGTERM but leaves on a hang-up, as on a real terminal.
    if (tty_) signal_group(SIGHUP);
    if (wait_ended(grace_end)) return;
    signal_group(SIGKILL);
    if (wait_ended(clock::now() + k_kill_wait)) return;
    const std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    if (wait_ended(clock::now() + 1s)) return;
    throw plugin_error(BERTH_ERR_TIMEOUT, "the command did not end within 5 s of SIGKILL");
}

}  // namespace berth::abi10
