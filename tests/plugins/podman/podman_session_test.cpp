// Sessions against the real podman: run and exec modes, pipes and terminal, output, stdin,
// EOF, resize, signals, exit codes and signals passed through.
#include <csignal>
#include <thread>

#include "podman_fixture.hpp"

namespace berth::test::podman {
namespace {

using registry::session_state;

TEST_F(PodmanTest, RunKeepsStdoutAndStderrApartAndPassesTheExitCode) {
    const auto end = run(run_options({"sh", "-c", "echo out; echo err >&2; exit 3"}));
    EXPECT_EQ(end.record.state, session_state::exited);
    EXPECT_EQ(end.record.exit_code, 3);
    EXPECT_EQ(end.out, "out\n");
    EXPECT_EQ(end.err, "err\n");
}

TEST_F(PodmanTest, RunPassesStdinAndItsEof) {
    const std::string input = "line one\nline two\n" + std::string(100000, 'x');
    const auto end = run(run_options({"sh", "-c", "cat; echo EOF-SEEN"}), input);
    EXPECT_EQ(end.record.exit_code, 0);
    EXPECT_EQ(end.out, input + "EOF-SEEN\n");
}

TEST_F(PodmanTest, RunWithoutCommandUsesTheImageCmd) {
    // The image's CMD is /bin/sh, which reads its commands from stdin.
    const auto end = run(json{{"image", test_image()}}, "echo from-cmd; exit 6\n");
    EXPECT_EQ(end.record.exit_code, 6);
    EXPECT_EQ(end.out, "from-cmd\n");
}

TEST_F(PodmanTest, RunAppliesEnvWorkdirUserAndName) {
    const std::string name = "berth-test-named-" + unique_suffix();
    auto options = run_options({"sh", "-c", "echo \"$A|$B\"; pwd; id -u"});
    options["env"] = {{"A", "1"}, {"B", "two words"}};
    options["workdir"] = "/tmp";
    options["user"] = "65534";
    options["name"] = name;
    const auto end = run(options);
    EXPECT_EQ(end.record.exit_code, 0) << end.err;
    EXPECT_EQ(end.out, "1|two words\n/tmp\n65534\n");
    // podman run --rm removed it when the command ended.
    EXPECT_FALSE(container_exists(name));
}

TEST_F(PodmanTest, RunOnlyOptionsReachTheContainer) {
    const std::string name = "berth-test-opts-" + unique_suffix();
    auto options = run_options(
        {"sh", "-c",
         "touch /rootfs-file 2>/dev/null && echo rw || echo ro; touch /scratch/f && echo tmpfs; "
         "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat "
         "/sys/fs/cgroup/memory.max; "
         "echo ready; read line"});
    options["name"] = name;
    options["read_only"] = true;
    options["tmpfs"] = {"/scratch"};
    options["memory"] = "64m";
    options["labels"] = {{"berth.test", "yes"}};
    options["init"] = true;
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    const auto label =
        podman({"inspect", "--format", "{{index .Config.Labels \"berth.test\"}}", name});
    EXPECT_EQ(label.out, "yes\n") << label.err;
    EXPECT_TRUE(s->write("go\n"));
    const auto end = finish(s);
    EXPECT_EQ(end.record.exit_code, 0) << end.err;
    EXPECT_EQ(end.out, "ro\ntmpfs\n67108864\nready\n");
    EXPECT_FALSE(container_exists(name));
}

TEST_F(PodmanTest, RunSignalReachesTheCommand) {
    auto s = open(run_options(
        {"sh", "-c",
         "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.1; done"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_TRUE(s->signal(SIGTERM));
    const auto end = finish(s);
    EXPECT_EQ(end.record.exit_code, 3);
    EXPECT_EQ(end.out, "ready\ngot TERM\n");
}

TEST_F(PodmanTest, RunSignalSentWhileStartingWaitsForTheCommand) {
    // Sent before the container runs: podman's own sig-proxy would lose it (and podman would
    // exit 0 leaving the container); berth delivers it once the command runs.
    // Under --init the shell is not PID 1: before its trap is set a USR1 kills it rather
    // than being dropped, so either outcome shows the signal arrived.
    auto options =
        run_options({"sh", "-c", "trap 'echo got USR1; exit 5' USR1; while :; do sleep 0.1; done"});
    options["init"] = true;
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->signal(SIGUSR1));
    const auto end = finish(s);
    // The trap may be set up a moment after the process appears; then the signal kills it.
    if (end.record.exit_code) {
        EXPECT_EQ(end.record.exit_code, 5);
    } else {
        EXPECT_EQ(end.record.term_signal, SIGUSR1);
    }
}

TEST_F(PodmanTest, RunSignalSentBeforeTheContainersInitTrapsItWaitsForTheTrap) {
    // Without --init the shell is the container's PID 1, and the kernel drops a signal it does
    // not handle yet: sent at once, USR1 would be lost and the loop run forever.
    auto s = open(run_options(
        {"sh", "-c", "sleep 0.3; trap 'echo got USR1; exit 5' USR1; while :; do sleep 0.1; done"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->signal(SIGUSR1));
    const auto end = finish(s);
    EXPECT_EQ(end.record.exit_code, 5);
    EXPECT_EQ(end.out, "got USR1\n");
}

TEST_F(PodmanTest, RunKillSignalEndsTheSessionAndTheContainer) {
    const std::string name = "berth-test-kill-" + unique_suffix();
    auto options = run_options({"sh", "-c", "echo ready; sleep 1000"});
    options["name"] = name;
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_TRUE(s->signal(SIGKILL));
    const auto end = finish(s);
    EXPECT_EQ(end.record.state, session_state::exited);
    EXPECT_EQ(end.record.term_signal, SIGKILL);
    EXPECT_FALSE(end.record.exit_code);
    EXPECT_FALSE(container_exists(name));
}

TEST_F(PodmanTest, RunCommandKilledBySignalReportsTheSignal) {
    // Under --init the shell is not PID 1, so it can die of its own SIGTERM.
    auto options = run_options({"sh", "-c", "kill -TERM $$"});
    options["init"] = true;
    const auto end = run(options);
    EXPECT_EQ(end.record.term_signal, SIGTERM);
    EXPECT_FALSE(end.record.exit_code);
}

TEST_F(PodmanExecTest, ExecPassesOutputStdinEofAndExitCode) {
    const auto end = run(exec_options({"sh", "-c", "cat; echo err >&2; exit 9"}), "abc\n");
    EXPECT_EQ(end.record.state, session_state::exited);
    EXPECT_EQ(end.record.exit_code, 9);
    EXPECT_EQ(end.out, "abc\n");
    EXPECT_EQ(end.err, "err\n");
}

TEST_F(PodmanExecTest, ExecAppliesEnvWorkdirAndUser) {
    auto options = exec_options({"sh", "-c", "echo $K; pwd; id -u"});
    options["env"] = {{"K", "v"}};
    options["workdir"] = "/tmp";
    options["user"] = "65534";
    const auto end = run(options);
    EXPECT_EQ(end.out, "v\n/tmp\n65534\n");
}

TEST_F(PodmanExecTest, ExecSignalReachesTheCommand) {
    // podman exec forwards no signals; berth signals the exec'd process itself.
    auto s = open(exec_options(
        {"sh", "-c", "trap 'echo got INT; exit 4' INT; echo ready; while :; do sleep 0.1; done"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_TRUE(s->signal(SIGINT));
    const auto end = finish(s);
    EXPECT_EQ(end.record.exit_code, 4);
    EXPECT_EQ(end.out, "ready\ngot INT\n");
}

TEST_F(PodmanExecTest, ExecCommandKilledBySignalReportsTheSignal) {
    const auto end = run(exec_options({"sh", "-c", "kill -KILL $$"}));
    EXPECT_EQ(end.record.term_signal, SIGKILL);
    EXPECT_FALSE(end.record.exit_code);
}

// Terminal sessions, in both modes.
class PodmanTtyTest : public PodmanExecTest, public ::testing::WithParamInterface<bool> {
protected:
    json tty_options(json command) const {
        json o = GetParam() ? exec_options(std::move(command)) : run_options(std::move(command));
        o["tty"] = true;
        o["rows"] = 30;
        o["cols"] = 100;
        return o;
    }
};

TEST_P(PodmanTtyTest, ResizeCtrlCAndExit) {
    auto s = open(tty_options({"sh"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->write("stty size\r"));
    ASSERT_TRUE(wait_for(s, "30 100")) << finish(s, 1s).out;
    ASSERT_TRUE(s->resize(40, 120));
    // podman resizes the container's terminal on SIGWINCH; give it a moment.
    bool resized = false;
    for (int i = 0; i < 50 && !resized; ++i) {
        ASSERT_TRUE(s->write("stty size\r"));
        resized = wait_for(s, "40 120", 200ms);
    }
    EXPECT_TRUE(resized);
    ASSERT_TRUE(s->write("sleep 30; echo not-interrupted\r"));
    std::this_thread::sleep_for(500ms);
    ASSERT_TRUE(s->write("\x03"));  // Ctrl-C, as a byte
    ASSERT_TRUE(s->write("echo rc=$?\r"));
    EXPECT_TRUE(wait_for(s, "rc=130", 10s));
    ASSERT_TRUE(s->write("exit 7\r"));
    const auto end = finish(s);
    EXPECT_EQ(end.record.exit_code, 7);
    // The terminal echoes the typed line; only the command's own output starts a line.
    EXPECT_EQ(end.out.find("\nnot-interrupted"), std::string::npos);
    EXPECT_EQ(end.err, "");  // a terminal merges everything
}

TEST_P(PodmanTtyTest, RawBytesAndEof) {
    // cat on a terminal: bytes go through (the detach keys ctrl-p ctrl-q are disabled) and
    // end of input is the terminal's EOF character.
    auto s = open(tty_options({"sh", "-c", "stty -echo -ixon; echo ready; od -An -c"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_TRUE(s->write(std::string("a\x10\x11z\n")));
    ASSERT_TRUE(s->close_input());
    const auto end = finish(s);
    EXPECT_EQ(end.record.exit_code, 0);
    EXPECT_NE(end.out.find("a 020 021   z  \\n"), std::string::npos) << end.out;
}

INSTANTIATE_TEST_SUITE_P(RunAndExec, PodmanTtyTest, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? "exec" : "run"; });

}  // namespace
}  // namespace berth::test::podman
