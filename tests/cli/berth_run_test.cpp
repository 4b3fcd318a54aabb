// `berth run local` end to end, as a user runs it: a real subprocess.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace berth::test
