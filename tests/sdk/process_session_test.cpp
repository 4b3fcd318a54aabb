// The process-session helper on its own: pipes and terminals, input, EOF, signals, resize,
// close escalation, process groups, and no descriptor leaks.
#include <gtest/gtest.h>
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace berth::sdk {
namespace {
using namespace std::chrono_literals;

// Collects what a session produces.
struct recorder {
    std::mutex m;
    std::condition_variable cv;
    std::string out, err, pty;
    std::optional<exit_status> exit;
    bool output_after_exit = false;

    process_callbacks callbacks() {
        process_callbacks c;
        c.on_output = [this](berth_stream s, std::span<const std::uint8_t> d) {
            std::lock_guard l(m);
            if (exit) output_after_exit = true;
            std::string& t = s == BERTH_STREAM_STDERR ? err : s == BERTH_STREAM_PTY ? pty : out;
            t.append(reinterpret_cast<const char*>(d.data()), d.size());
            cv.notify_all();
        };
        c.on_exit = [this](const exit_status& e) {
            std::lock_guard l(m);
            exit = e;
            cv.notify_all();
        };
        return c;
    }
    bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds t = 10s) {
        std::unique_lock l(m);
        return cv.wait_for(l, t, pred);
    }
    bool wait_pty_contains(const std::string& s) {
        return wait_for([&] { return pty.find(s) != std::string::npos; });
    }
};

process_spec spec_of(std::vector<std::string> argv, bool tty = false) {
    process_spec s;
    s.argv = std::move(argv);
    s.tty = tty;
    return s;
}

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

void send(process_session& p, std::string_view text) {
    p.write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

TEST(ProcessSession, KeepsStdoutAndStderrApartAndReportsTheExitCode) {
    event_loop loop;
    recorder r;
    auto p = process_session::start(loop, spec_of({"sh", "-c", "echo out; echo err >&2; exit 3"}),
                                    r.callbacks());
    ASSERT_TRUE(p->wait(10s));
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
    ASSERT_TRUE(r.exit);
    EXPECT_EQ(r.exit->exit_code, 3);
    EXPECT_EQ(r.exit->term_signal, 0);
    EXPECT_FALSE(r.output_after_exit);
}

TEST(ProcessSession, ReportsTheTerminatingSignal) {
    event_loop loop;
    recorder r;
    auto p = process_session::start(loop, spec_of({"sleep", "30"}), r.callbacks());
    p->signal(SIGKILL);
    ASSERT_TRUE(p->wait(10s));
    EXPECT_EQ(r.exit->exit_code, -1);
    EXPECT_EQ(r.exit->term_signal, SIGKILL);
}

TEST(ProcessSession, DeliversStdinAndEof) {
    event_loop loop;
    recorder r;
    auto p = process_session::start(loop, spec_of({"cat"}), r.callbacks());
    send(*p, "hello ");
    send(*p, "world");
    p->close_stdin();
    ASSERT_TRUE(p->wait(10s));
    EXPECT_EQ(r.out, "hello world");
    EXPECT_EQ(r.exit->exit_code, 0);
    EXPECT_THROW(send(*p, "late"), error);
}

TEST(ProcessSession, MovesMegabytesThroughStdinWithBackPressure) {
    event_loop loop;
    recorder r;
    auto spec = spec_of({"wc", "-c"});
    spec.stdin_buffer_limit = 64 * 1024;  // force the writer to wait on the reader
    auto p = process_session::start(loop, spec, r.callbacks());
    const std::string block(1 << 20, 'x');
    for (int i = 0; i < 8; ++i) send(*p, block);
    p->close_stdin();
    ASSERT_TRUE(p->wait(30s));
    EXPECT_EQ(std::stoul(r.out), 8UL << 20);
}

TEST(ProcessSession, RunsOnATerminalWithItsSize) {
    event_loop loop;
    recorder r;
    auto spec = spec_of({"sh", "-c", "test -t 0 && test -t 1 && echo is-a-tty; stty size"}, true);
    spec.rows = 33;
    spec.cols = 111;
    auto p = process_session::start(loop, spec, r.callbacks());
    ASSERT_TRUE(p->wait(10s));
    EXPECT_NE(r.pty.find("is-a-tty"), std::string::npos) << r.pty;
    EXPECT_NE(r.pty.find("33 111"), std::string::npos) << r.pty;
    EXPECT_TRUE(p->tty());
}

TEST(ProcessSession, ResizeReachesTheProcess) {
    event_loop loop;
    recorder r;
    auto p = process_session::start(loop, spec_of({"sh"}, true), r.callbacks());
    send(*p, "stty -echo; echo go\n");
    ASSERT_TRUE(r.wait_pty_contains("go"));
    p->resize(50, 132);
    send(*p, "stty size\n");
    ASSERT_TRUE(r.wait_pty_contains("50 132")) << r.pty;
    p->close_stdin();
    ASSERT_TRUE(p->wait(10s));
    EXPECT_EQ(r.exit->exit_code, 0);  // EOF at the start of a line ends the shell
}

TEST(ProcessSession, WinchRepeatsSignalTheProcessAgainAfterAResize) {
    event_loop loop;
    recorder r;
    auto spec = spec_of({"sh", "-c",
                         "trap 'echo W' WINCH; echo ready; i=0;"
                         " while [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done"},
                        true);
    spec.winch_repeats = {150ms, 600ms};
    auto p = process_session::start(loop, spec, r.callbacks());
    ASSERT_TRUE(r.wait_pty_contains("ready"));
    const auto count_w = [&r] {
        std::size_t n = 0;
        for (std::size_t at = r.pty.find('W'); at != std::string::npos;
             at = r.pty.find('W', at + 1))
            ++n;
        return n;
    };
    p->resize(40, 90);
    // The terminal's own SIGWINCH, then one per repeat: three in all, and no more.
    EXPECT_TRUE(r.wait_for([&] { return count_w() >= 3; }, 5s)) << r.pty;
    std::this_thread::sleep_for(300ms);
    {
        std::lock_guard l(r.m);
        EXPECT_EQ(count_w(), 3U) << r.pty;
    }
    p->signal_group(SIGKILL);
    ASSERT_TRUE(p->wait(10s));
}

TEST(ProcessSession, CtrlCOnTheTerminalInterruptsTheForegroundJob) {
    event_loop loop;
    recorder r;
    auto p = process_session::start(loop, spec_of({"sh", "-c", "echo ready; exec sleep 30"}, true),
                                    r.callbacks());
    ASSERT_TRUE(r.wait_pty_contains("ready"));
    send(*p, "\x03");
    ASSERT_TRUE(p->wait(10s));
    EXPECT_EQ(r.exit->term_signal, SIGINT);
}

TEST(ProcessSession, TerminateEscalatesToSigkillAfterGrace) {
    event_loop loop;
    recorder r;
    auto p = process_session::start(
        loop, spec_of({"sh", "-c", "trap '' TERM; echo armed; while :; do sleep 1; done"}),
        r.callbacks());
    ASSERT_TRUE(r.wait_for([&] { return r.out.find("armed") != std::string::npos; }));
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(p->terminate(300ms));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
    EXPECT_EQ(r.exit->term_signal, SIGKILL);
}

TEST(ProcessSession, CloseTakesTheWholeProcessGroup) {
    event_loop loop;
    recorder r;
    auto p = process_session::start(loop, spec_of({"sh", "-c", "sleep 300 & echo $!; wait"}),
                                    r.callbacks());
    ASSERT_TRUE(r.wait_for([&] { return r.out.find('\n') != std::string::npos; }));
    const pid_t grandchild = std::stoi(r.out);
    EXPECT_TRUE(p->terminate(1s));
    // The background sleep belonged to the session's group: it is gone too (or a zombie
    // waiting for init, which on these machines reaps slowly).
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
        std::string line;
        gone = !std::getline(stat, line) || line.find(") Z") != std::string::npos;
        if (!gone) std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(gone) << "pid " << grandchild << " survived the session";
}

TEST(ProcessSession, ExitIsReportedEvenIfAGrandchildKeepsTheOutputOpen) {
    event_loop loop;
    recorder r;
    auto spec = spec_of({"sh", "-c", "(trap '' TERM HUP; exec sleep 30) & echo started"});
    spec.drain_timeout = 200ms;
    auto p = process_session::start(loop, spec, r.callbacks());
    ASSERT_TRUE(p->wait(10s));
    EXPECT_EQ(r.exit->exit_code, 0);
    EXPECT_EQ(r.out, "started\n");
}

TEST(ProcessSession, ReportsMissingAndNonExecutableCommands) {
    event_loop loop;
    recorder r;
    try {
        (void)process_session::start(loop, spec_of({"berth-no-such-command"}), r.callbacks());
        FAIL() << "expected an error";
    } catch (const error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_COMMAND_NOT_FOUND);
        EXPECT_STREQ(e.what(), "command not found: berth-no-such-command");
    }
    try {
        // A file that exists but is no program (no execute bit, or not a format exec knows).
        (void)process_session::start(loop, spec_of({"/proc/self/status"}), r.callbacks());
        FAIL() << "expected an error";
    } catch (const error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_COMMAND_NOT_EXECUTABLE);
    }
    auto bad_dir = spec_of({"true"});
    bad_dir.working_dir = "/no/such/dir";
    EXPECT_THROW((void)process_session::start(loop, bad_dir, r.callbacks()), error);
}

TEST(ProcessSession, EnvironmentAndWorkingDirectory) {
    event_loop loop;
    recorder r;
    auto spec = spec_of({"sh", "-c", "echo $BERTH_X:$(pwd):${HOME:-unset}"});
    spec.env = {{"BERTH_X", "42"}, {"PATH", "/usr/bin:/bin"}};
    spec.clear_env = true;
    spec.working_dir = "/tmp";
    auto p = process_session::start(loop, spec, r.callbacks());
    ASSERT_TRUE(p->wait(10s));
    EXPECT_EQ(r.out, "42:/tmp:unset\n");
}

TEST(ProcessSession, ChildInheritsNoStrayDescriptors) {
    event_loop loop;
    recorder keep_open;
    // A second session's stdin pipe must not leak into this child: if it did, `cat` in the
    // other session would never see EOF while this one lives.
    auto holder = process_session::start(loop, spec_of({"sleep", "30"}), keep_open.callbacks());
    recorder r;
    auto p = process_session::start(loop, spec_of({"sh", "-c", "ls /proc/self/fd"}), r.callbacks());
    ASSERT_TRUE(p->wait(10s));
    EXPECT_EQ(r.out, "0\n1\n2\n3\n") << r.out;  // 3 is ls's own directory handle
    EXPECT_TRUE(holder->terminate(0ms));
}

TEST(ProcessSession, HundredSessionsLeaveNoDescriptorsBehind) {
    event_loop loop;
    {
        // The loop opens its epoll/eventfd/timerfd on first use; count after that.
        recorder warm;
        ASSERT_TRUE(process_session::start(loop, spec_of({"true"}), warm.callbacks())->wait(10s));
    }
    const std::size_t before = open_fds();
    for (int batch = 0; batch < 10; ++batch) {
        std::vector<std::unique_ptr<recorder>> rs;
        std::vector<std::unique_ptr<process_session>> ps;
        for (int i = 0; i < 10; ++i) {
            rs.push_back(std::make_unique<recorder>());
            ps.push_back(process_session::start(loop, spec_of({"true"}, i % 2 == 0),
                                                rs.back()->callbacks()));
        }
        for (auto& p : ps) ASSERT_TRUE(p->wait(10s));
    }
    EXPECT_EQ(open_fds(), before);
}

TEST(ProcessSession, NoSigchldHandlerIsInstalled) {
    event_loop loop;
    recorder r;
    auto p = process_session::start(loop, spec_of({"true"}), r.callbacks());
    ASSERT_TRUE(p->wait(10s));
    struct sigaction sa {};
    ASSERT_EQ(::sigaction(SIGCHLD, nullptr, &sa), 0);
    EXPECT_EQ(sa.sa_handler, SIG_DFL);
}

}  // namespace
}  // namespace berth::sdk
