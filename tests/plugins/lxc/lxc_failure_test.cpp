// Errors against the real LXC: each says which it was and leaves nothing behind.
#include <filesystem>
#include <fstream>

#include "lxc_fixture.hpp"

namespace berth::test::lxc {
namespace {

using registry::session_state;
using ::testing::HasSubstr;

TEST_F(LxcTest, MissingContainerIsNamedAsMissing) {
    const auto name = unique_name("missing");
    const auto end = run({{"container", name}, {"command", {"true"}}});
    EXPECT_EQ(end.record.state, session_state::failed);
    EXPECT_THAT(end.record.reason, HasSubstr("container '" + name + "' does not exist"));
}

TEST_F(LxcTest, StoppedContainerIsNamedAsStopped) {
    scratch_container stopped(scratch_container::kind::stopped);
    ASSERT_TRUE(stopped.ok()) << stopped.error();
    for (const bool tty : {false, true}) {
        const auto end = run({{"container", stopped.name()}, {"tty", tty}, {"command", {"true"}}});
        EXPECT_EQ(end.record.state, session_state::failed) << "tty " << tty;
        EXPECT_THAT(end.record.reason, HasSubstr("container '" + stopped.name() + "' is stopped"));
        EXPECT_THAT(end.record.reason, HasSubstr("ensure_running"));
    }
    EXPECT_EQ(state_of(stopped.name()), "STOPPED");  // nobody started it
}

TEST_F(LxcTest, EnsureRunningOnAMissingContainerFailsToOpen) {
    const auto name = unique_name("missing");
    const auto e =
        open_error({{"container", name}, {"ensure_running", true}, {"command", {"true"}}});
    EXPECT_EQ(e.code, BERTH_ERR_NOT_FOUND) << e.message;
    EXPECT_THAT(e.message, HasSubstr("container '" + name + "' does not exist"));
}

TEST_F(LxcTest, CommandExitingOneIsNotAnAttachFailure) {
    // The words of lxc-attach's error, but printed by the command itself.
    const auto end = run({{"template", lxc_template()},
                          {"command", {"sh", "-c", "echo 'Failed to get init pid' >&2; exit 1"}}});
    EXPECT_EQ(end.record.state, session_state::exited) << end.record.reason;
    EXPECT_EQ(end.record.exit_code, 1);
}

TEST_F(LxcAttachTest, AttachErrorFailsTheSessionWithLxcsWords) {
    // The container has no user namespace of its own to enter.
    auto options = attach({"true"});
    options["namespaces"] = "USER";
    const auto end = run(options);
    EXPECT_EQ(end.record.state, session_state::failed);
    EXPECT_THAT(end.record.reason,
                HasSubstr("lxc-attach could not enter container '" + container_->name() + "'"));
}

TEST_F(LxcTest, UnknownLxcTemplate) {
    const auto name = unique_name("badtmpl");
    const auto e = open_error({{"name", name},
                               {"lxc_template", "berth-no-such-template"},
                               {"config_file", lxc_config()},
                               {"command", {"true"}}});
    EXPECT_EQ(e.code, BERTH_ERR_NOT_FOUND) << e.message;
    EXPECT_THAT(e.message, HasSubstr("LXC template 'berth-no-such-template' not found"));
    EXPECT_EQ(state_of(name), "MISSING");
}

TEST_F(LxcTest, NameInUseIsRefusedAndTheOtherContainerKept) {
    scratch_container existing(scratch_container::kind::stopped);
    ASSERT_TRUE(existing.ok()) << existing.error();
    const auto e = open_error({{"name", existing.name()},
                               {"lxc_template", "busybox"},
                               {"config_file", lxc_config()},
                               {"destroy_on_close", true},
                               {"command", {"true"}}});
    EXPECT_EQ(e.code, BERTH_ERR_STATE) << e.message;
    EXPECT_THAT(e.message, HasSubstr("container '" + existing.name() + "' already exists"));
    EXPECT_EQ(state_of(existing.name()), "STOPPED");
}

TEST_F(LxcTest, UnusableConfigFileLeavesNothing) {
    // lxc-create accepts it, lxc-start cannot start with a bridge that does not exist here.
    const auto config = std::filesystem::temp_directory_path() / (unique_name("conf") + ".conf");
    {
        std::ofstream out(config);
        out << "lxc.net.0.type = veth\nlxc.net.0.link = berthnosuchbr0\nlxc.net.0.flags = up\n";
    }
    const auto name = unique_name("badconf");
    const auto e = open_error({{"name", name},
                               {"lxc_template", "busybox"},
                               {"config_file", config.string()},
                               {"command", {"true"}}});
    std::filesystem::remove(config);
    EXPECT_EQ(e.code, BERTH_ERR_RUNTIME) << e.message;
    EXPECT_THAT(e.message, HasSubstr("lxc-start " + name + " failed"));
    EXPECT_THAT(e.message, HasSubstr("destroyed again"));
    EXPECT_EQ(state_of(name), "MISSING");
}

TEST_F(LxcTest, MissingTemplateContainer) {
    const auto name = unique_name("notmpl");
    const auto e = open_error({{"template", name}, {"command", {"true"}}});
    EXPECT_EQ(e.code, BERTH_ERR_NOT_FOUND) << e.message;
    EXPECT_THAT(e.message, HasSubstr("template container '" + name + "' does not exist"));
}

TEST_F(LxcTest, RunningTemplateContainerCannotBeCopied) {
    scratch_container running(scratch_container::kind::running);
    ASSERT_TRUE(running.ok()) << running.error();
    const auto e = open_error({{"template", running.name()}, {"command", {"true"}}});
    EXPECT_EQ(e.code, BERTH_ERR_STATE) << e.message;
    EXPECT_THAT(e.message, HasSubstr("is RUNNING"));
}

TEST_F(LxcTest, InvalidOptionsAreNamed) {
    auto e = open_error({{"container", "c"}, {"workdir", "/tmp"}, {"command", {"true"}}});
    EXPECT_EQ(e.code, BERTH_ERR_INVALID_ARGUMENT);
    EXPECT_THAT(e.message, HasSubstr("unknown option 'workdir'"));
    e = open_error({{"container", "c"}, {"keep_vars", {"A"}}, {"command", {"true"}}});
    EXPECT_EQ(e.code, BERTH_ERR_INVALID_ARGUMENT);
    EXPECT_THAT(e.message, HasSubstr("'keep_vars' needs 'clear_env'"));
    e = open_error({{"command", {"true"}}});
    EXPECT_EQ(e.code, BERTH_ERR_INVALID_ARGUMENT);
}

// An external `lxc-stop -k` of the container a session attached to: lxc-attach exits 137 and
// prints nothing, and the plugin asks LXC what became of the container, so the record says
// what happened (podman and containerd said nothing there; LXC already did).
TEST_F(LxcAttachTest, ExternalStopOfTheContainerIsTheReason) {
    auto s = open(attach({"sh", "-c", "echo ready; sleep 600"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_for(s, "ready"));
    ASSERT_EQ(tool({"lxc-stop", "-k", "-n", container_->name()}).status, 0);
    const auto end = finish(s, 20s);
    EXPECT_EQ(end.record.state, session_state::failed);
    EXPECT_THAT(end.record.reason,
                HasSubstr("container '" + container_->name() + "' stopped while the session ran"));
    EXPECT_THAT(end.record.reason, HasSubstr("exit status 137"));  // what lxc-attach said
}

}  // namespace
}  // namespace berth::test::lxc
