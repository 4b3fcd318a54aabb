// podman's own failures as session failures, bad options, and closing sessions early with
// nothing left behind.
#include <csignal>
#include <thread>

#include "podman_fixture.hpp"

namespace berth::test::podman {
namespace {

using registry::session_state;
using ::testing::HasSubstr;

TEST_F(PodmanTest, MissingImageFailsWithPodmansMessage) {
    const auto end =
        run(json{{"image", "localhost/berth-no-such-image:latest"}, {"command", {"true"}}});
    EXPECT_EQ(end.record.state, session_state::failed);
    EXPECT_FALSE(end.record.exit_code);
    EXPECT_THAT(end.record.reason, HasSubstr("image not known"));
}

TEST_F(PodmanTest, MissingContainerFailsWithPodmansMessage) {
    const auto end = run(
        json{{"container", "berth-no-such-container-" + unique_suffix()}, {"command", {"true"}}});
    EXPECT_EQ(end.record.state, session_state::failed);
    EXPECT_THAT(end.record.reason, HasSubstr("no such container"));
}

TEST_F(PodmanTest, ExecIntoAStoppedContainerFails) {
    const std::string name = "berth-test-stopped-" + unique_suffix();
    ASSERT_EQ(podman({"create", "--pull=never", "--name=" + name, test_image(), "true"}).status, 0);
    const auto end = run(json{{"container", name}, {"command", {"true"}}});
    (void)podman({"rm", "--force", "--time=0", name});
    EXPECT_EQ(end.record.state, session_state::failed);
    EXPECT_THAT(end.record.reason, HasSubstr("container state improper"));
}

TEST_F(PodmanTest, NameInUseFailsAndLeavesTheOtherContainerAlone) {
    const std::string name = "berth-test-taken-" + unique_suffix();
    ASSERT_EQ(podman({"create", "--pull=never", "--name=" + name, test_image(), "true"}).status, 0);
    auto options = run_options({"true"});
    options["name"] = name;
    const auto end = run(options);
    EXPECT_EQ(end.record.state, session_state::failed);
    EXPECT_THAT(end.record.reason, HasSubstr("already in use"));
    // Closed at once as well (podman is killed before it can say a word): the clean-up that
    // force-removes a closed session's container goes by the session's token label, so it
    // never touches a container that merely has the name the session asked for.
    auto s = open(options);
    ASSERT_TRUE(s);
    (void)s->close(0ms);
    (void)finish(s);
    EXPECT_TRUE(container_exists(name));
    (void)podman({"rm", "--force", "--time=0", name});
}

TEST_F(PodmanTest, CommandNotFoundIsExit127WithPodmansWords) {
    const auto end = run(run_options({"no-such-command"}));
    EXPECT_EQ(end.record.state, session_state::exited);
    EXPECT_EQ(end.record.exit_code, 127);
    EXPECT_THAT(end.record.reason, HasSubstr("command not found in the container"));
    EXPECT_THAT(end.err, HasSubstr("executable file not found"));
}

TEST_F(PodmanTest, CommandNotExecutableIsExit126) {
    const auto end = run(run_options({"/etc/passwd"}));
    EXPECT_EQ(end.record.exit_code, 126);
    EXPECT_THAT(end.record.reason, HasSubstr("command not executable in the container"));
}

TEST_F(PodmanTest, CommandsOwnExit127IsNotAFailure) {
    const auto end = run(run_options({"sh", "-c", "exit 127"}));
    EXPECT_EQ(end.record.state, session_state::exited);
    EXPECT_EQ(end.record.exit_code, 127);
    EXPECT_EQ(end.record.reason, "");
}

TEST_F(PodmanTest, UnknownUserFailsWithPodmansMessage) {
    auto options = run_options({"true"});
    options["user"] = "no-such-user";
    const auto end = run(options);
    EXPECT_EQ(end.record.state, session_state::failed);
    EXPECT_THAT(end.record.reason, HasSubstr("unable to find user no-such-user"));
}

TEST_F(PodmanExecTest, ExecCommandNotFoundIsExit127) {
    const auto end = run(exec_options({"no-such-command"}));
    EXPECT_EQ(end.record.exit_code, 127);
    EXPECT_THAT(end.record.reason, HasSubstr("command not found in the container"));
}

TEST_F(PodmanTest, TerminalSessionFailureIsReadFromTheTerminal) {
    auto options =
        json{{"image", "localhost/berth-no-such-image:latest"}, {"tty", true}, {"command", {"sh"}}};
    const auto end = run(options);
    EXPECT_EQ(end.record.state, session_state::failed);
    EXPECT_THAT(end.record.reason, HasSubstr("image not known"));
}

TEST_F(PodmanTest, MissingPodmanBinaryIsUnavailableNotCommandNotFound) {
    auto options = run_options({"true"});
    options["binary"] = "/nonexistent/podman";
    const auto r = host_->open_session("podman", options.dump());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, BERTH_ERR_UNAVAILABLE);
    EXPECT_THAT(r.err().message, HasSubstr("/nonexistent/podman cannot be run"));
    EXPECT_THAT(r.err().message, HasSubstr("install podman, or point option 'binary' at it"));
}

TEST_F(PodmanTest, BadOptionsAreRejectedBeforeAnythingRuns) {
    auto options = run_options({"true"});
    options["volumez"] = json::array({"/a:/b"});
    auto r = host_->open_session("podman", options.dump());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, BERTH_ERR_INVALID_ARGUMENT);
    EXPECT_THAT(r.err().message, HasSubstr("unknown option 'volumez'"));

    r = host_->open_session("podman", json{{"image", "--privileged"}}.dump());
    ASSERT_FALSE(r);
    EXPECT_THAT(r.err().message, HasSubstr("'image' must not start with '-'"));
    r = host_->open_session("podman",
                            json{{"image", test_image()}, {"env", {{"A", "x\ny"}}}}.dump());
    ASSERT_FALSE(r);
    EXPECT_THAT(r.err().message, HasSubstr("'env.A' must not contain a line break"));
}

TEST_F(PodmanTest, CloseEndsARunSessionAndRemovesItsContainer) {
    const std::string name = "berth-test-close-" + unique_suffix();
    // PID 1 without a handler ignores SIGTERM: this needs the SIGKILL after the grace.
    auto options = run_options({"sh", "-c", "echo ready; sleep 1000"});
    options["name"] = name;
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(s->close(300ms));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    const auto end = finish(s, 1s);
    EXPECT_EQ(end.record.state, session_state::closed);
    EXPECT_FALSE(container_exists(name));
}

TEST_F(PodmanTest, CloseGivesTheCommandItsGracePeriod) {
    auto s = open(run_options(
        {"sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.1; done"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_TRUE(s->close(10s));
    const auto end = finish(s, 1s);
    EXPECT_EQ(end.record.state, session_state::closed);
    EXPECT_EQ(end.record.exit_code, 0);
    EXPECT_EQ(end.out, "ready\nbye\n");
}

TEST_F(PodmanTest, CloseRightAfterOpenLeavesNothingBehind) {
    for (const int grace_ms : {0, 200}) {
        const std::string name = "berth-test-early-" + unique_suffix();
        auto options = run_options({"sleep", "1000"});
        options["name"] = name;
        auto s = open(options);
        ASSERT_TRUE(s);
        ASSERT_TRUE(s->close(std::chrono::milliseconds(grace_ms)));
        EXPECT_TRUE(s->entry()->wait_ended(1s));
        EXPECT_FALSE(container_exists(name)) << "grace " << grace_ms;
    }
}

TEST_F(PodmanExecTest, CloseEndsTheExecdProcessToo) {
    // A killed podman exec would leave its process running in the container.
    auto s = open(exec_options({"sh", "-c", "echo ready; sleep 997; echo after"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    EXPECT_THAT(container_ps(), HasSubstr("sleep 997"));
    ASSERT_TRUE(s->close(300ms));
    const auto end = finish(s, 1s);
    EXPECT_EQ(end.record.state, session_state::closed);
    EXPECT_EQ(container_ps().find("sleep 997"), std::string::npos) << container_ps();
}

TEST_F(PodmanExecTest, CloseEndsAnInteractiveShell) {
    auto options = exec_options({"sh"});
    options["tty"] = true;
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->write("sleep 996\r"));
    bool started = false;
    for (int i = 0; i < 100 && !started; ++i) {
        started = container_ps().find("sleep 996") != std::string::npos;
        if (!started) std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(started);
    ASSERT_TRUE(s->close(2s));
    EXPECT_TRUE(s->entry()->wait_ended(1s));
    EXPECT_EQ(container_ps().find("sleep 996"), std::string::npos) << container_ps();
}

// An external `podman kill` ends `podman run` with 137 and not a word: the record says what
// happened, with the exact signal.
TEST_F(PodmanTest, ExternalKillOfTheContainerIsTheReason) {
    const std::string name = "berth-test-killed-" + unique_suffix();
    auto options = run_options({"sh", "-c", "echo ready; sleep 600"});
    options["name"] = name;
    auto s = open(options);
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_EQ(podman({"kill", name}).status, 0);
    const auto end = finish(s);
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_FALSE(end.record.exit_code);
    EXPECT_EQ(end.record.term_signal, SIGKILL);
    EXPECT_EQ(end.record.reason, "container was killed by SIGKILL (signal 9)");
    EXPECT_FALSE(container_exists(name));
}

TEST_F(PodmanExecTest, ExternalKillOfTheContainerIsTheReason) {
    auto s = open(exec_options({"sh", "-c", "echo ready; sleep 600"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_EQ(podman({"kill", container_}).status, 0);
    const auto end = finish(s);
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_FALSE(end.record.exit_code);
    EXPECT_EQ(end.record.term_signal, SIGKILL);
    EXPECT_EQ(end.record.reason, "container '" + container_ +
                                     "' stopped while the session ran: the command was killed "
                                     "by SIGKILL (signal 9)");
}

TEST_F(PodmanExecTest, AKilledCommandInARunningContainerSaysSo) {
    auto s = open(exec_options({"sh", "-c", "echo ready; sleep 600"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_TRUE(s->signal(SIGKILL));
    const auto end = finish(s);
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_EQ(end.record.term_signal, SIGKILL);
    EXPECT_EQ(end.record.reason, "the command was killed by SIGKILL (signal 9)");
}

}  // namespace
}  // namespace berth::test::podman
