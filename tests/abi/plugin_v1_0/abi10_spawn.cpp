#include "abi10_spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace berth::abi10 {
namespace {

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

int check(int r, const char* what) {
    if (r < 0) fail(what);
    return r;
}

void set_nonblocking(int d) {
    const int flags = check(::fcntl(d, F_GETFL), "fcntl");
    check(::fcntl(d, F_SETFL, flags | O_NONBLOCK), "fcntl");
}

// The child's side of its three standard descriptors, and the terminal's master if any.
struct plumbing {
    fd child_in, child_out, child_err;  // become 0, 1, 2
    fd master;
    bool tty = false;
};

plumbing make_pipes() {
    plumbing p;
    std::array<int, 2> in{-1, -1};
    check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in.data()), "socketpair");
    p.master = fd(in[0]);  // our end of stdin, kept in `master` until spawn() sorts them out
    p.child_in = fd(in[1]);
    return p;
}

plumbing make_terminal(std::uint16_t rows, std::uint16_t cols) {
    plumbing p;
    p.tty = true;
    p.master = fd(check(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), "posix_openpt"));
    check(::grantpt(p.master.get()), "grantpt");
    check(::unlockpt(p.master.get()), "unlockpt");
    std::array<char, 128> name{};
    if (::ptsname_r(p.master.get(), name.data(), name.size()) != 0) fail("ptsname_r");
    p.child_in = fd(check(::open(name.data(), O_RDWR | O_NOCTTY | O_CLOEXEC), "open pty"));
    const winsize size{rows, cols, 0, 0};
    check(::ioctl(p.master.get(), TIOCSWINSZ, &size), "TIOCSWINSZ");
    return p;
}

plumbing make_null() {
    plumbing p;
    p.child_in = fd(check(::open("/dev/null", O_RDWR | O_CLOEXEC), "open /dev/null"));
    return p;
}

// After fork, in a process that may have other threads: async-signal-safe calls only.
[[noreturn]] void exec_child(const plumbing& p, const char* path, char* const* argv) {
    // A clean signal state: the host may block or ignore signals (SIGPIPE) and the command
    // inherits both through exec.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s)
        if (s != SIGKILL && s != SIGSTOP) ::signal(s, SIG_DFL);
    if (p.tty) {
        ::setsid();  // a session of its own whose controlling terminal is the slave
        ::ioctl(p.child_in.get(), TIOCSCTTY, 0);
    } else {
        ::setpgid(0, 0);  // a group of its own, so close can end everything it started
    }
    const int in = p.child_in.get();
    const int out = p.child_out.get() >= 0 ? p.child_out.get() : in;
    const int err = p.child_err.get() >= 0 ? p.child_err.get() : out;
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
    // Whatever else the host holds open without close-on-exec stays out of the command (another
    // session's stdin would never see its end).
    if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0)
        for (int d = 3; d < 65536; ++d) ::fcntl(d, F_SETFD, FD_CLOEXEC);
    ::execv(path, argv);
    ::_exit(errno == ENOENT ? 127 : 126);
}

}  // namespace

fd& fd::operator=(fd&& o) noexcept {
    if (this != &o) {
        reset();
        raw_ = o.release();
    }
    return *this;
}

int fd::release() noexcept {
    const int r = raw_;
    raw_ = -1;
    return r;
}

void fd::reset() noexcept {
    if (raw_ >= 0) ::close(raw_);
    raw_ = -1;
}

std::optional<std::string> find_in_path(const std::string& name) {
    if (name.empty()) return std::nullopt;
    if (name.find('/') != std::string::npos)
        return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
    const char* env = ::getenv("PATH");
    const std::string path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
    for (std::size_t start = 0; start <= path.size();) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        const std::string dir = end > start ? path.substr(start, end - start) : ".";
        const std::string candidate = dir + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

child spawn(const std::string& path, const std::vector<std::string>& argv, io_mode mode,
            std::uint16_t rows, std::uint16_t cols) {
    plumbing p = mode == io_mode::pipes      ? make_pipes()
                 : mode == io_mode::terminal ? make_terminal(rows, cols)
                                             : make_null();
    child c;
    fd out_read, err_read;
    if (mode == io_mode::pipes) {
        std::array<int, 2> out{-1, -1};
        std::array<int, 2> err{-1, -1};
        check(::pipe2(out.data(), O_CLOEXEC), "pipe2");
        out_read = fd(out[0]);
        p.child_out = fd(out[1]);
        check(::pipe2(err.data(), O_CLOEXEC), "pipe2");
        err_read = fd(err[0]);
        p.child_err = fd(err[1]);
    }
    // Built before fork: the child may not allocate.
    std::vector<char*> raw;
    raw.reserve(argv.size() + 1);
    for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
    raw.push_back(nullptr);

    c.pid = check(::fork(), "fork");
    if (c.pid == 0) exec_child(p, path.c_str(), raw.data());
    // Not reaped yet, so the pid cannot have been reused.
    c.pidfd = fd(static_cast<int>(::syscall(SYS_pidfd_open, c.pid, 0U)));
    if (c.pidfd.get() < 0) {
        const int e = errno;
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, nullptr, 0);  // SIGKILL cannot be ignored: this returns at once
        errno = e;
        fail("pidfd_open");
    }
    if (mode == io_mode::terminal) {
        c.output = fd(check(::fcntl(p.master.get(), F_DUPFD_CLOEXEC, 0), "dup"));
        c.input = std::move(p.master);
    } else if (mode == io_mode::pipes) {
        c.input = std::move(p.master);
        c.output = std::move(out_read);
        c.errors = std::move(err_read);
    }
    for (const fd* d : {&c.input, &c.output, &c.errors})
        if (d->get() >= 0) set_nonblocking(d->get());
    return c;
}

bool wait_exit(child& c, std::chrono::milliseconds timeout, int* status) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        pollfd p{c.pidfd.get(), POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
        if (r > 0) return ::waitpid(c.pid, status, 0) == c.pid;  // exited: no wait here
        if (r == 0 || errno != EINTR) return false;
    }
}

}  // namespace berth::abi10
