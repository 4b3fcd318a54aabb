// Exit classification from podman's status and last words, with the real messages podman
// 4.3 prints (see plugins/podman/README.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <vector>

#include "podman_exit.hpp"

namespace berth::plugins::podman {
namespace {

using ::testing::HasSubstr;

sdk::exit_status exited(int code) { return {code, 0}; }

TEST(PodmanExit, CommandExitCodesPassThrough) {
    for (int code : {0, 1, 4, 100, 124, 128, 200, 254}) {
        const auto s = classify_exit(exited(code), "");
        EXPECT_EQ(s.exit_code, code);
        EXPECT_EQ(s.term_signal, 0);
        EXPECT_FALSE(s.failed);
    }
}

TEST(PodmanExit, PodmanCodesWithoutPodmanWordsAreTheCommandsOwn) {
    for (int code : {125, 126, 127, 255}) {
        const auto s = classify_exit(exited(code), "some output\nError: not last\nbye\n");
        EXPECT_EQ(s.exit_code, code);
        EXPECT_FALSE(s.failed);
    }
}

TEST(PodmanExit, MissingImageIsAFailureWithPodmansMessage) {
    const auto s = classify_exit(exited(125), "Error: localhost/nope:latest: image not known\n");
    EXPECT_TRUE(s.failed);
    EXPECT_EQ(s.exit_code, -1);
    EXPECT_EQ(s.reason, "localhost/nope:latest: image not known");
}

TEST(PodmanExit, MissingContainerIsAFailure) {
    const auto s = classify_exit(
        exited(125), "Error: no container with name or ID \"x\" found: no such container\n");
    EXPECT_TRUE(s.failed);
    EXPECT_THAT(s.reason, HasSubstr("no such container"));
}

TEST(PodmanExit, ExecIntoStoppedContainerIsAFailure) {
    const auto s = classify_exit(
        exited(255),
        "Error: can only create exec sessions on running containers: container state improper\n");
    EXPECT_TRUE(s.failed);
    EXPECT_THAT(s.reason, HasSubstr("container state improper"));
}

TEST(PodmanExit, CommandNotFoundIsExit127WithAReason) {
    const auto s = classify_exit(
        exited(127),
        "Error: runc: exec failed: unable to start container process: exec: \"nosuch\": "
        "executable file not found in $PATH: OCI runtime attempted to invoke a command that "
        "was not found\n");
    EXPECT_FALSE(s.failed);
    EXPECT_EQ(s.exit_code, 127);
    EXPECT_THAT(s.reason, HasSubstr("command not found in the container"));
    EXPECT_THAT(s.reason, HasSubstr("\"nosuch\""));
}

TEST(PodmanExit, CommandNotExecutableIsExit126WithAReason) {
    const auto s =
        classify_exit(exited(126),
                      "Error: runc: runc create failed: unable to start container process: exec: "
                      "\"/etc/passwd\": permission denied: OCI permission denied\r\n");
    EXPECT_FALSE(s.failed);
    EXPECT_EQ(s.exit_code, 126);
    EXPECT_THAT(s.reason, HasSubstr("command not executable in the container"));
}

TEST(PodmanExit, OtherRuntimeErrorsWith126Or127AreFailures) {
    // A missing user (126) or working directory (127) is not the command's doing.
    const auto user = classify_exit(
        exited(126), "Error: unable to find user nobodyx: no matching entries in passwd file\n");
    EXPECT_TRUE(user.failed);
    EXPECT_THAT(user.reason, HasSubstr("unable to find user"));
    const auto cwd = classify_exit(
        exited(127),
        "Error: runc: exec failed: unable to start container process: chdir to cwd "
        "(\"/nonexist\") set in config.json failed: no such file or directory: OCI runtime "
        "attempted to invoke a command that was not found\n");
    EXPECT_TRUE(cwd.failed);
    EXPECT_THAT(cwd.reason, HasSubstr("chdir to cwd"));
}

TEST(PodmanExit, TerminalOutputEndsInCrLf) {
    const auto s = classify_exit(exited(125), "prompt\r\nError: x: image not known\r\n\r\n");
    EXPECT_TRUE(s.failed);
    EXPECT_EQ(s.reason, "x: image not known");
}

TEST(PodmanExit, SignalledContainerProcessReadsAsItsSignal) {
    const auto s = classify_exit(exited(137), "");
    EXPECT_EQ(s.term_signal, 9);
    EXPECT_EQ(s.exit_code, -1);
    EXPECT_FALSE(s.failed);
    EXPECT_EQ(classify_exit(exited(143), "").term_signal, 15);
    EXPECT_EQ(classify_exit(exited(129), "").term_signal, 1);
    // Past the last signal number it is a plain exit code.
    EXPECT_EQ(classify_exit(exited(250), "").exit_code, 250);
    EXPECT_EQ(classify_exit(exited(250), "").reason, "");
}

// An external `podman kill` ends `podman run` with 137 and not a word: the reason says what
// happened, the signal stays exact.
TEST(PodmanExit, SignalledContainerProcessHasAReason) {
    auto s = classify_exit(exited(137), "", session_mode::run);
    EXPECT_EQ(s.term_signal, SIGKILL);
    EXPECT_EQ(s.reason, "container was killed by SIGKILL (signal 9)");
    s = classify_exit(exited(143), "", session_mode::run);
    EXPECT_EQ(s.reason, "container was killed by SIGTERM (signal 15)");
    // In exec mode the command is not the container; the session adds whether the
    // container went with it.
    s = classify_exit(exited(137), "", session_mode::exec);
    EXPECT_EQ(s.term_signal, SIGKILL);
    EXPECT_EQ(s.reason, "the command was killed by SIGKILL (signal 9)");
    EXPECT_EQ(signal_text(SIGINT), "SIGINT (signal 2)");
    EXPECT_EQ(signal_text(0), "signal 0");
}

TEST(PodmanExit, KilledPodmanReportsTheSignal) {
    const auto s = classify_exit({-1, 9}, "Error: whatever\n");
    EXPECT_EQ(s.term_signal, 9);
    EXPECT_FALSE(s.failed);
    EXPECT_THAT(s.reason, HasSubstr("podman was ended by signal 9"));
}

TEST(PodmanExit, PodmanErrorNeedsALastLineStartingWithError) {
    EXPECT_EQ(podman_error("Error: boom"), "boom");
    EXPECT_EQ(podman_error("  \n\nError: boom \n\n"), "boom");
    EXPECT_FALSE(podman_error("Error: boom\nmore output"));
    EXPECT_FALSE(podman_error("error: boom"));
    EXPECT_FALSE(podman_error("Error: "));
    EXPECT_FALSE(podman_error(""));
}

}  // namespace
}  // namespace berth::plugins::podman
