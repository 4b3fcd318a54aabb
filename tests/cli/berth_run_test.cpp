// `berth run local` end to end, as a user runs it: a real subprocess.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>

#include "test_support.hpp"

namespace berth::test {
namespace {
using namespace std::chrono_literals;

TEST(BerthRun, PrintsOutputAndPassesTheExitCodeThrough) {
    const auto r = run_berth({"run", "local", "--", "sh", "-c", "echo hi; exit 3"});
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.out, "hi\n");
    EXPECT_EQ(r.err, "");
}

TEST(BerthRun, KeepsStderrOnStderr) {
    const auto r = run_berth({"run", "local", "--", "sh", "-c", "echo out; echo err >&2"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
}

TEST(BerthRun, SignalBecomes128PlusN) {
    EXPECT_EQ(run_berth({"run", "local", "--", "sh", "-c", "kill -TERM $$"}).status, 128 + 15);
    EXPECT_EQ(run_berth({"run", "local", "--", "sh", "-c", "kill -KILL $$"}).status, 128 + 9);
}

TEST(BerthRun, StdinReachesTheCommandAndEofEndsIt) {
    const auto r =
        run_berth({"run", "local", "--", "sh", "-c", "read a; read b; cat; echo \"$a-$b\""},
                  "one\ntwo\nrest\n");
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "rest\none-two\n");
}

TEST(BerthRun, LargeOutputArrivesWhole) {
    const auto r = run_berth({"run", "local", "--", "head", "-c", "5000000", "/dev/urandom"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out.size(), 5000000U);
}

// `seq 1 n`, as the test expects it byte for byte.
std::string seq_output(int n) {
    std::string s;
    for (int i = 1; i <= n; ++i) s += std::to_string(i) + "\n";
    return s;
}

// berth run keeps no copy of the output (its host's buffer has capacity 0): the bytes reach
// stdout exactly, in order, with stderr apart, and the exit code still comes through after a
// large output.
TEST(BerthRun, LargeOutputIsExactAndTheExitCodeFollowsIt) {
    const auto r =
        run_berth({"run", "local", "--", "sh", "-c", "seq 1 3000000; seq 1 20000 >&2; exit 7"});
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.out.size(), seq_output(3000000).size());
    EXPECT_TRUE(r.out == seq_output(3000000)) << "stdout differs";
    EXPECT_TRUE(r.err == seq_output(20000)) << "stderr differs";
}

TEST(BerthRun, LargeOutputThenASignalIs128PlusN) {
    const auto r = run_berth({"run", "local", "--", "sh", "-c", "seq 1 1000000; kill -TERM $$"});
    EXPECT_EQ(r.status, 128 + 15);
    EXPECT_TRUE(r.out == seq_output(1000000)) << "stdout differs";
}

// Input and output at once: 8 MB through the session's cat and back, exact.
TEST(BerthRun, LargeStdinComesBackExactThroughCat) {
    const std::string input = seq_output(1000000);
    const auto r = run_berth({"run", "local", "--", "cat"}, input);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out.size(), input.size());
    EXPECT_TRUE(r.out == input) << "stdout differs";
}

TEST(BerthRun, TtyModeGivesTheCommandATerminal) {
    const auto r = run_berth(
        {"run", "local", "-t", "--", "sh", "-c", "test -t 0 && test -t 1 && echo tty-ok"});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("tty-ok"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");  // a terminal merges both streams into stdout
}

TEST(BerthRun, TtyModeFeedsStdinThroughTheTerminal) {
    const auto r =
        run_berth({"run", "local", "-t", "--", "sh", "-c", "read x; echo got-$x"}, "abc\n");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("got-abc"), std::string::npos) << r.out;
}

TEST(BerthRun, RepeatableFlagsTakeOneValueEach) {
    // A vector option must not swallow the command: `-e A=1 -- sh -c ...`.
    const auto r = run_berth({"run", "local", "-e", "A=1", "-e", "B=2", "--opt", "clear_env=false",
                              "--", "sh", "-c", "echo $A$B"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "12\n");
}

TEST(BerthRun, EnvAndWorkdirFlags) {
    const auto r = run_berth({"run", "local", "-e", "GREETING=hello", "-w", "/tmp", "--", "sh",
                              "-c", "echo $GREETING $(pwd)"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "hello /tmp\n");
}

TEST(BerthRun, BadInputExits2AndSpawnsNothing) {
    struct bad {
        std::vector<std::string> args;
        const char* message;
    };
    for (const auto& [args, message] : std::initializer_list<bad>{
             {{"run", "local", "--image", "x", "--", "true"}, "does not accept --image"},
             {{"run", "local", "--opt", "rows=abc", "--", "true"}, "'rows' must be an integer"},
             {{"run", "local", "--opt", "colour=red", "--", "true"}, "unknown option 'colour'"},
             {{"run", "local"}, "no command given"},
             {{"run", "nope", "--", "true"}, "unknown runtime 'nope'"},
             {{"run", "local", "--bogus-flag", "--", "true"}, "bogus-flag"},
             {{"run"}, "RUNTIME is required"},
         }) {
        const auto r = run_berth(args);
        EXPECT_EQ(r.status, 2) << args[1];
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_EQ(r.out, "");
    }
}

// Needs the SDK's process helper of ABI 1.2, which reports a missing command as
// BERTH_ERR_COMMAND_NOT_FOUND (before it: BERTH_ERR_NOT_FOUND, which is exit 125).
TEST(BerthRun, MissingCommandExits127) {
    const auto r = run_berth({"run", "local", "--", "berth-no-such-command"});
    EXPECT_EQ(r.status, 127);
    EXPECT_EQ(r.err, "berth: command not found: berth-no-such-command\n");
}

// berth run's exit status comes from the status the plugin returns, never from its words: the
// scripted plugin fails to open with BERTH_ERR_COMMAND_NOT_FOUND / _NOT_EXECUTABLE and says
// neither "command not found" nor "cannot execute".
TEST(BerthRun, ExitStatusFollowsThePluginsStatusNotItsMessage) {
    const std::map<std::string, std::string> env = {
        {"BERTH_PLUGIN_SYSTEM_PATH", ""},
        {"BERTH_PLUGIN_PATH", std::string(BERTH_FAKE_PLUGIN_ROOT) + "/scripted"}};
    auto r = run_berth({"run", "scripted", "--", "no-such-program"}, {}, 30s, env);
    EXPECT_EQ(r.status, 127);
    EXPECT_EQ(r.err, "berth: scripted: nothing answers to that name here\n");
    r = run_berth({"run", "scripted", "--", "not-a-program"}, {}, 30s, env);
    EXPECT_EQ(r.status, 126);
    EXPECT_EQ(r.err, "berth: scripted: that file will not run\n");
}

TEST(BerthRun, SigtermToBerthIsForwardedToTheSession) {
    // berth runs in the background of a shell that signals it; the session's shell reports
    // the signal it got and exits with 42.
    const auto r =
        run_argv({"sh", "-c",
                  berth_binary().string() +
                      " run local -- sh -c 'trap \"echo got-term; exit 42\" TERM; "
                      "echo ready; while :; do sleep 0.05; done' > /tmp/berth-fwd-$$ & "
                      "pid=$!; for i in $(seq 100); do grep -q ready /tmp/berth-fwd-$$ "
                      "2>/dev/null && break; sleep 0.05; done; kill -TERM $pid; wait "
                      "$pid; s=$?; cat /tmp/berth-fwd-$$; rm -f /tmp/berth-fwd-$$; exit $s"});
    EXPECT_EQ(r.status, 42);
    EXPECT_NE(r.out.find("got-term"), std::string::npos) << r.out;
}

// berth run in the background, its stdout on a pipe: for tests that signal berth itself.
class background_berth {
public:
    explicit background_berth(const std::vector<std::string>& args) {
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) return;
        out_ = out[0];
        std::vector<std::string> argv{berth_binary().string()};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> c_argv;
        for (auto& a : argv) c_argv.push_back(a.data());
        c_argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        ::posix_spawn_file_actions_init(&actions);
        ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        ::posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        if (::posix_spawn(&pid_, c_argv[0], &actions, nullptr, c_argv.data(), environ) != 0)
            pid_ = -1;
        ::posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
    }
    ~background_berth() {
        if (pid_ > 0 && !status_) {
            ::kill(pid_, SIGKILL);
            (void)wait_exit(std::chrono::seconds(10));
        }
        if (out_ >= 0) ::close(out_);
    }
    background_berth(const background_berth&) = delete;
    background_berth& operator=(const background_berth&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    [[nodiscard]] int out_fd() const noexcept { return out_; }  // berth's stdout, our end

    // True once `text` has appeared on berth's stdout, within timeout.
    bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (out_text_.find(text) == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buf[256];
            const ssize_t n = ::read(out_, buf, sizeof buf);
            if (n <= 0) return false;
            out_text_.append(buf, static_cast<std::size_t>(n));
        }
        return true;
    }

    // berth's wait status once it has exited, within timeout; nullopt if it has not.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!status_) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                status_ = status;
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return status_;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string out_text_;
    std::optional<int> status_;
};

// --grace-ms is what the session gets when berth is told to stop: berth closes it, and its
// command, which ignores SIGTERM, is killed once the grace has passed, about 200 ms after the
// signal rather than 30 s later (or never).
TEST(BerthRun, GraceMsBoundsTheCloseWhenBerthIsSignalled) {
    const auto started = std::chrono::steady_clock::now();
    background_berth berth({"run", "--grace-ms", "200", "local", "--", "sh", "-c",
                            "trap '' TERM; echo ready; sleep 30"});
    ASSERT_GT(berth.pid(), 0);
    ASSERT_TRUE(berth.wait_for_output("ready", 10s)) << "the session did not start";
    std::this_thread::sleep_until(started + 300ms);
    ASSERT_EQ(::kill(berth.pid(), SIGTERM), 0);
    const auto signalled = std::chrono::steady_clock::now();
    const auto status = berth.wait_exit(10s);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - signalled);
    ASSERT_TRUE(status) << "berth did not exit within 10 s of SIGTERM";
    EXPECT_GT(took, 150ms);
    EXPECT_LT(took, 1500ms);
    ASSERT_TRUE(WIFEXITED(*status)) << "berth itself died of signal " << WTERMSIG(*status);
    EXPECT_EQ(WEXITSTATUS(*status), 128 + SIGKILL) << "the command was not killed";
}

// berth run makes a stdout pipe as big as the session's own output pipe (fewer partial writes
// on the way out); it never makes one smaller.
TEST(BerthRun, GrowsAStdoutPipeTo256KiB) {
    background_berth berth({"run", "local", "--", "sh", "-c", "echo ready"});
    ASSERT_GT(berth.pid(), 0);
    ASSERT_TRUE(berth.wait_for_output("ready", 10s));
    ASSERT_TRUE(berth.wait_exit(10s));
    EXPECT_GE(::fcntl(berth.out_fd(), F_GETPIPE_SZ), 256 * 1024);
}

}  // namespace
}  // namespace berth::test
