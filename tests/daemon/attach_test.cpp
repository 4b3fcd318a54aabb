// `berth session attach` driven the way a person drives it: the real berth binary on a
// pseudo-terminal this test owns, against a real berthd with the local plugin. Keystrokes go
// in through the pty master, the session's output is read back from it, resizes are made with
// TIOCSWINSZ on the master (the kernel then sends SIGWINCH to attach's process group), and the
// slave's termios show whether attach left the terminal as it found it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "daemon_fixture.hpp"
#include "test_support.hpp"

extern char** environ;

namespace berth::test {
namespace {
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Bound on every wait in this file: output, exits, mode changes.
constexpr auto k_timeout = 10s;
// attach's default detach key: `--detach-key` defaults to "ctrl-]" (host/cli/main.cpp), which
// key_bytes() turns into the single byte 0x1d. Everything typed before it in the same read is
// still sent; the key itself never reaches the session.
constexpr char k_detach_key = '\x1d';
// What `berth session attach` exits with (host/cli/session_commands.cpp): 0 on detach, the
// session's status when it ends (exit code, 128+N for signal N), 1 when it cannot attach or
// loses berthd while attached.
constexpr int k_exit_error = 1;

class unique_fd {
public:
    explicit unique_fd(int fd = -1) noexcept : fd_(fd) {}
    ~unique_fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    void reset(int fd) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

// The terminal settings attach must put back, compared field by field.
bool same_modes(const termios& a, const termios& b) {
    return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag &&
           a.c_lflag == b.c_lflag && std::equal(std::begin(a.c_cc), std::end(a.c_cc), b.c_cc);
}

// `berth session attach ID [extra...]` with stdin, stdout and stderr on a fresh pty whose
// controlling process it is. The destructor kills and reaps it if the test did not.
class attached_berth {
public:
    attached_berth(const daemon_process& d, const std::string& id, winsize size,
                   const std::vector<std::string>& extra = {})
        : master_(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) {
        if (master_.get() < 0 || ::grantpt(master_.get()) != 0 || ::unlockpt(master_.get()) != 0) {
            ADD_FAILURE() << "cannot create a pty: " << std::strerror(errno);
            return;
        }
        char name[128];
        if (::ptsname_r(master_.get(), name, sizeof name) != 0) {
            ADD_FAILURE() << "ptsname_r: " << std::strerror(errno);
            return;
        }
        // The test keeps the slave open too: to read its termios after attach exits, and so
        // the master never reads EIO while output is still queued.
        slave_.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (slave_.get() < 0 || ::ioctl(slave_.get(), TIOCSWINSZ, &size) != 0 ||
            ::tcgetattr(slave_.get(), &initial_) != 0) {
            ADD_FAILURE() << "cannot set up the pty slave " << name << ": " << std::strerror(errno);
            return;
        }

        // Everything the child needs is built before fork: after it, only async-signal-safe
        // calls (the test process has the daemon fixture's threads).
        std::vector<std::string> args = {berth_binary().string(), "session", "attach", id};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<std::string> env;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string_view kv(*e);
            if (kv.rfind("BERTH_SOCKET=", 0) != 0 && kv.rfind("BERTH_PLUGIN_PATH=", 0) != 0 &&
                kv.rfind("BERTH_PLUGIN_SYSTEM_PATH=", 0) != 0)
                env.emplace_back(kv);
        }
        env.push_back("BERTH_SOCKET=" + d.socket().string());
        env.push_back("BERTH_PLUGIN_PATH=" + plugin_dir().string());
        env.emplace_back("BERTH_PLUGIN_SYSTEM_PATH=");
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<char*> envp;
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);

        const int slave = slave_.get();
        pid_ = ::fork();
        if (pid_ < 0) {
            ADD_FAILURE() << "fork: " << std::strerror(errno);
            return;
        }
        if (pid_ == 0) {
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            for (int s = 1; s < NSIG; ++s)
                if (s != SIGKILL && s != SIGSTOP) ::signal(s, SIG_DFL);
            // A session of its own with the pty as controlling terminal, so the kernel's
            // SIGWINCH on TIOCSWINSZ reaches attach as it would in a real terminal.
            ::setsid();
            ::ioctl(slave, TIOCSCTTY, 0);
            ::dup2(slave, STDIN_FILENO);
            ::dup2(slave, STDOUT_FILENO);
            ::dup2(slave, STDERR_FILENO);
            ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
        // glibc 2.36's <sys/pidfd.h> lacks extern "C", so the system call directly.
        pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
        if (pidfd_.get() < 0) ADD_FAILURE() << "pidfd_open: " << std::strerror(errno);
    }

    ~attached_berth() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        if (!wait_exit(k_timeout)) {
            ADD_FAILURE() << "berth (pid " << pid_ << ") did not die of SIGKILL in time";
            ::waitpid(pid_, nullptr, 0);  // never leave it behind
        }
    }
    attached_berth(const attached_berth&) = delete;
    attached_berth& operator=(const attached_berth&) = delete;

    [[nodiscard]] bool started() const noexcept { return pid_ > 0; }

    // Keystrokes, as the terminal would deliver them.
    void type(std::string_view bytes) const {
        while (!bytes.empty()) {
            const ssize_t n = ::write(master_.get(), bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) continue;
            ASSERT_GT(n, 0) << "write to the pty master: " << std::strerror(errno);
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // Resizes the terminal the way a terminal emulator does.
    void resize(std::uint16_t rows, std::uint16_t cols) const {
        const winsize ws{rows, cols, 0, 0};
        ASSERT_EQ(::ioctl(master_.get(), TIOCSWINSZ, &ws), 0) << std::strerror(errno);
    }

    // Reads the master until `needle` appears in output not yet consumed, or the timeout.
    // On success everything up to the end of the match counts as consumed.
    [[nodiscard]] bool read_until(std::string_view needle,
                                  std::chrono::milliseconds timeout = k_timeout) {
        const auto deadline = steady::now() + timeout;
        while (true) {
            if (const auto at = transcript_.find(needle, consumed_); at != std::string::npos) {
                consumed_ = at + needle.size();
                return true;
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
            if (left <= 0ms) return false;
            pollfd p{master_.get(), POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(left.count()));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return false;
            char buf[4096];
            const ssize_t n = ::read(master_.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            transcript_.append(buf, static_cast<std::size_t>(n));
        }
    }

    // After attach exited: everything it wrote that was not consumed yet. A marker written to
    // the slave after the exit comes out of the master after all of attach's output, so this
    // needs no quiet period.
    [[nodiscard]] std::string rest_of_output() {
        static constexpr std::string_view k_marker = "<<attach-test-end>>";
        const auto from = consumed_;
        if (::write(slave_.get(), k_marker.data(), k_marker.size()) !=
                static_cast<ssize_t>(k_marker.size()) ||
            !read_until(k_marker)) {
            ADD_FAILURE() << "the end marker did not come back through the pty";
            return transcript_.substr(from);
        }
        return transcript_.substr(from, consumed_ - k_marker.size() - from);
    }

    // Waits until attach has the terminal in raw mode (it sets it once it is attached).
    [[nodiscard]] bool wait_raw_mode() const {
        const auto deadline = steady::now() + k_timeout;
        while (steady::now() < deadline) {
            if ((modes().c_lflag & ICANON) == 0) return true;
            std::this_thread::sleep_for(5ms);  // termios changes have no event to wait on
        }
        return false;
    }

    // Exit status (128+N for signal N), or nullopt if berth is still running at the timeout.
    [[nodiscard]] std::optional<int> wait_exit(std::chrono::milliseconds timeout = k_timeout) {
        if (status_ || pid_ <= 0) return status_;
        pollfd p{pidfd_.get(), POLLIN, 0};  // readable once the child has exited
        int r = 0;
        do r = ::poll(&p, 1, static_cast<int>(timeout.count()));
        while (r < 0 && errno == EINTR);
        if (r <= 0) return std::nullopt;
        int st = 0;
        if (::waitpid(pid_, &st, 0) != pid_) return std::nullopt;
        pid_ = -1;
        status_ = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
        return status_;
    }

    [[nodiscard]] termios modes() const {
        termios t{};
        EXPECT_EQ(::tcgetattr(slave_.get(), &t), 0) << std::strerror(errno);
        return t;
    }
    [[nodiscard]] const termios& initial_modes() const noexcept { return initial_; }
    [[nodiscard]] const std::string& transcript() const noexcept { return transcript_; }

private:
    unique_fd master_;
    unique_fd slave_;
    unique_fd pidfd_;
    pid_t pid_ = -1;
    std::optional<int> status_;
    termios initial_{};
    std::string transcript_;
    std::size_t consumed_ = 0;
};

std::string open_tty_shell(const daemon_process& d) {
    const auto r =
        d.call("session.open",
               {{"runtime", "local"},
                {"options", {{"command", {"sh"}}, {"tty", true}, {"rows", 24}, {"cols", 80}}}});
    return r.is_object() ? r.value("id", "") : "";
}

// session.wait from `cursor` for a pattern in the session's output.
bool session_prints(const daemon_process& d, const std::string& id, const std::string& pattern,
                    std::uint64_t cursor = 0, std::chrono::milliseconds timeout = k_timeout) {
    const auto w = d.call(
        "session.wait",
        {{"id", id}, {"pattern", pattern}, {"cursor", cursor}, {"timeout_ms", timeout.count()}});
    return w.is_object() && w.value("outcome", "") == "matched";
}

std::uint64_t end_offset(const daemon_process& d, const std::string& id) {
    const auto r = d.call("session.get", {{"id", id}});
    return r.is_object() ? r.value("end_offset", std::uint64_t{0}) : 0;
}

// Each test: its own berthd with a tty `sh` session, and the helpers to attach to it.
class BerthAttach : public ::testing::Test {
protected:
    // Opens the shell (24x80) and attaches on a 30x90 terminal; returns once attach is in raw
    // mode. Wrap in ASSERT_NO_FATAL_FAILURE.
    void attach_to_shell(const std::vector<std::string>& extra = {}) {
        if (id.empty()) id = open_tty_shell(d);
        ASSERT_FALSE(id.empty());
        attached.emplace(d, id, winsize{30, 90, 0, 0}, extra);
        ASSERT_TRUE(attached->started());
        ASSERT_TRUE(attached->wait_raw_mode()) << attached->transcript();
    }

    daemon_process d;
    std::string id;
    std::optional<attached_berth> attached;
};

TEST_F(BerthAttach, TypingReachesTheSessionAndItsOutputComesBack) {
    ASSERT_NO_FATAL_FAILURE(attach_to_shell());
    auto& a = *attached;

    a.type("echo at$((20+22))\r");
    EXPECT_TRUE(a.read_until("at42")) << a.transcript();  // the echoed line holds at$((, not at42
    // The session was opened 24x80; attach gives it the size of the terminal it runs in.
    a.type("stty size\r");
    EXPECT_TRUE(a.read_until("30 90")) << a.transcript();

    a.type("exit\r");
    EXPECT_EQ(a.wait_exit(), 0) << a.transcript();
}

TEST_F(BerthAttach, ForwardsTerminalResizes) {
    ASSERT_NO_FATAL_FAILURE(attach_to_shell());
    auto& a = *attached;

    // A resize with no keystroke after it (a full-screen program redraws on SIGWINCH alone)
    // must reach the session by itself. Asked through the daemon, not the terminal, until
    // the new size shows up.
    a.resize(33, 101);
    bool seen = false;
    for (const auto deadline = steady::now() + k_timeout; !seen && steady::now() < deadline;) {
        const auto cursor = end_offset(d, id);
        d.call("session.write", {{"id", id}, {"data", "stty size\n"}});
        seen = session_prints(d, id, "33 101", cursor, 500ms);
    }
    EXPECT_TRUE(seen) << "the session never saw 33x101";

    // And typed right after a resize, the command already sees the new size.
    a.resize(41, 120);
    a.type("stty size\r");
    EXPECT_TRUE(a.read_until("41 120")) << a.transcript();
    // session.get does not report a terminal size (docs/api.md), so stty is the witness.

    a.type("exit\r");
    EXPECT_EQ(a.wait_exit(), 0) << a.transcript();
}

TEST_F(BerthAttach, DetachKeyLeavesTheSessionRunningAndRestoresTheTerminal) {
    {
        ASSERT_NO_FATAL_FAILURE(attach_to_shell());
        auto& a = *attached;
        EXPECT_EQ(a.modes().c_lflag & (ECHO | ISIG), 0U);  // raw while attached

        // One burst: a command, then the detach key. The command still goes through.
        a.type(std::string("echo pre$((3+4))\r") + k_detach_key);
        EXPECT_EQ(a.wait_exit(), 0) << a.transcript();
        const auto rest = a.rest_of_output();
        EXPECT_NE(rest.find("berth: detached from " + id), std::string::npos) << rest;

        const termios after = a.modes();
        EXPECT_NE(after.c_lflag & ICANON, 0U);
        EXPECT_NE(after.c_lflag & ECHO, 0U);
        EXPECT_NE(after.c_lflag & ISIG, 0U);
        EXPECT_TRUE(same_modes(after, a.initial_modes()));
        attached.reset();
    }
    EXPECT_TRUE(session_prints(d, id, "pre7"));
    // The key itself stayed in attach: the session's terminal would have echoed it as ^].
    const auto seen = d.call("session.read", {{"id", id}, {"cursor", 0}});
    EXPECT_EQ(joined_output(seen).find("^]"), std::string::npos) << seen.dump();
    const auto rec = d.call("session.get", {{"id", id}});
    EXPECT_EQ(rec.value("state", ""), "running") << rec.dump();

    // Still usable without a terminal...
    auto cursor = end_offset(d, id);
    d.call("session.write", {{"id", id}, {"data", "echo still$((1+1))\n"}});
    EXPECT_TRUE(session_prints(d, id, "still2", cursor));

    // ...and attachable again, here with another detach key.
    {
        ASSERT_NO_FATAL_FAILURE(attach_to_shell({"--detach-key", "ctrl-a"}));
        auto& a = *attached;
        a.type("echo again$((5*5))\r");
        EXPECT_TRUE(a.read_until("again25")) << a.transcript();
        a.type("\x01");
        EXPECT_EQ(a.wait_exit(), 0) << a.transcript();
        EXPECT_TRUE(same_modes(a.modes(), a.initial_modes()));
        attached.reset();
    }
    EXPECT_EQ(d.call("session.get", {{"id", id}}).value("state", ""), "running");
    d.call("session.close", {{"id", id}, {"grace_ms", 2000}});
}

TEST_F(BerthAttach, SessionEndEndsAttachWithTheSessionsStatus) {
    ASSERT_NO_FATAL_FAILURE(attach_to_shell());
    auto& a = *attached;

    a.type("exit 7\r");
    EXPECT_EQ(a.wait_exit(), 7) << a.transcript();
    const auto out = a.rest_of_output();
    EXPECT_NE(out.find("exit 7"), std::string::npos) << out;  // the session's last output
    EXPECT_EQ(out.find("berth:"), std::string::npos) << out;  // and no message of attach's
    EXPECT_TRUE(same_modes(a.modes(), a.initial_modes()));

    const auto rec = d.call("session.get", {{"id", id}});
    EXPECT_EQ(rec.value("state", ""), "exited") << rec.dump();
    EXPECT_EQ(rec.value("exit_code", -1), 7) << rec.dump();
}

TEST_F(BerthAttach, UnknownIdFailsClearlyWithoutTouchingTheTerminal) {
    attached_berth a(d, "s-000000000000", {30, 90, 0, 0});
    ASSERT_TRUE(a.started());
    EXPECT_EQ(a.wait_exit(), k_exit_error);
    const auto out = a.rest_of_output();
    EXPECT_NE(out.find("berth: unknown session 's-000000000000'"), std::string::npos) << out;
    EXPECT_TRUE(same_modes(a.modes(), a.initial_modes()));
}

TEST_F(BerthAttach, LosingTheDaemonEndsAttachWithAnError) {
    ASSERT_NO_FATAL_FAILURE(attach_to_shell());
    auto& a = *attached;
    a.type("echo up$((2*3))\r");
    ASSERT_TRUE(a.read_until("up6")) << a.transcript();

    d.kill_hard();  // the session's fate is unknown to attach: it must not report success
    EXPECT_EQ(a.wait_exit(), k_exit_error) << a.transcript();
    const auto out = a.rest_of_output();
    EXPECT_NE(out.find("berth: lost session " + id + ": berthd"), std::string::npos) << out;
    EXPECT_TRUE(same_modes(a.modes(), a.initial_modes()));
}

}  // namespace
}  // namespace berth::test
