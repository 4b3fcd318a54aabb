// Reading LXC 5.0's texts: states and error lines, as the tools print them on this machine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lxc_diagnosis.hpp"

namespace berth::plugins::lxc {
namespace {

using ::testing::HasSubstr;

TEST(LxcDiagnosis, ParsesStates) {
    EXPECT_EQ(parse_state(0, "State:          RUNNING\n", ""), container_state::running);
    EXPECT_EQ(parse_state(0, "State:          STOPPED\n", ""), container_state::stopped);
    EXPECT_EQ(parse_state(0, "State:          FROZEN\n", ""), container_state::frozen);
    EXPECT_EQ(parse_state(1, "", "nope doesn't exist\n"), container_state::missing);
    EXPECT_EQ(parse_state(1, "nope doesn't exist\n", ""), container_state::missing);
    EXPECT_EQ(parse_state(1, "", "something else\n"), container_state::unknown);
    EXPECT_EQ(parse_state(0, "garbage\n", ""), container_state::unknown);
    EXPECT_EQ(to_string(container_state::running), "RUNNING");
    EXPECT_EQ(to_string(container_state::missing), "MISSING");
}

TEST(LxcDiagnosis, ParsesInitPid) {
    EXPECT_EQ(parse_init_pid("State:          RUNNING\nPID:            18107\n"), 18107);
    EXPECT_EQ(parse_init_pid("State:          STOPPED\n"), -1);
    EXPECT_EQ(parse_init_pid("PID:            12x\n"), -1);
    EXPECT_EQ(parse_init_pid("PID:\n"), -1);
}

TEST(LxcDiagnosis, LogMessage) {
    EXPECT_EQ(lxc_log_message("lxc-attach: nope: ../src/lxc/attach.c: get_attach_context: 406 "
                              "Connection refused - Failed to get init pid",
                              "lxc-attach", "nope"),
              "Connection refused - Failed to get init pid");
    EXPECT_EQ(
        lxc_log_message("lxc-attach: other: ../src/lxc/attach.c: f: 1 x", "lxc-attach", "nope"),
        std::nullopt);
    EXPECT_EQ(lxc_log_message("hello world", "lxc-attach", "nope"), std::nullopt);
}

TEST(LxcDiagnosis, AttachToMissingOrStoppedContainer) {
    const std::string out =
        "lxc-attach: nope: ../src/lxc/attach.c: get_attach_context: 406 Connection refused - "
        "Failed to get init pid\n"
        "lxc-attach: nope: ../src/lxc/attach.c: lxc_attach: 1470 Connection refused - Failed to "
        "get attach context\n";
    const auto f = scan_attach_output(out, "nope");
    EXPECT_TRUE(f.found);
    EXPECT_TRUE(f.no_init_pid);
    EXPECT_EQ(f.message, "Connection refused - Failed to get init pid");
}

TEST(LxcDiagnosis, AttachErrorOnATerminal) {
    // On a terminal the lines end in \r\n.
    const std::string out =
        "lxc-attach: c: ../src/lxc/attach.c: __attach_namespaces_pidfd: 643 Invalid argument - "
        "Failed to attach to namespaces via pidfd\r\r\n"
        "lxc-attach: c: ../src/lxc/attach.c: lxc_attach: 1590 Failed to enter namespaces\r\r\n";
    const auto f = scan_attach_output(out, "c");
    EXPECT_TRUE(f.found);
    EXPECT_FALSE(f.no_init_pid);
    EXPECT_EQ(f.message, "Invalid argument - Failed to attach to namespaces via pidfd");
}

TEST(LxcDiagnosis, CommandOutputIsNotAnAttachError) {
    EXPECT_FALSE(scan_attach_output("Failed to get init pid\nexit 1\n", "c").found);
    EXPECT_FALSE(scan_attach_output("", "c").found);
}

TEST(LxcDiagnosis, CreateFailures) {
    auto f = classify_create_failure(
        "n", "nonexist",
        "lxc-create: n: ../src/lxc/utils.c: get_template_path: 900 No such file or directory - "
        "bad template: nonexist\n"
        "lxc-create: n: ../src/lxc/lxccontainer.c: __lxcapi_create: 1799 Template \"nonexist\" "
        "not found\n"
        "lxc-create: n: ../src/lxc/tools/lxc_create.c: main: 317 Failed to create container n\n");
    EXPECT_EQ(f.status, BERTH_ERR_NOT_FOUND);
    EXPECT_THAT(f.message, HasSubstr("LXC template 'nonexist' not found"));
    EXPECT_THAT(f.message, HasSubstr("option 'lxc_template'"));

    f = classify_create_failure(
        "t", "busybox",
        "lxc-create: t: ../src/lxc/tools/lxc_create.c: main: 264 Container already exists\n");
    EXPECT_EQ(f.status, BERTH_ERR_STATE);
    EXPECT_THAT(f.message, HasSubstr("container 't' already exists (option 'name')"));

    f = classify_create_failure("t", "busybox", "lxc-create: t: x.c: f: 1 Permission denied\n");
    EXPECT_EQ(f.status, BERTH_ERR_PERMISSION);
    EXPECT_THAT(f.message, HasSubstr("never uses sudo"));

    f = classify_create_failure("t", "busybox", "");
    EXPECT_EQ(f.status, BERTH_ERR_RUNTIME);
    EXPECT_THAT(f.message, HasSubstr("no message"));
}

TEST(LxcDiagnosis, ToolMessagesDropLogPrefixes) {
    EXPECT_EQ(tool_messages("lxc-start: c: ../src/lxc/tools/lxc_start.c: main: 266 No container "
                            "config specified\nplain line\n",
                            "lxc-start", "c"),
              "No container config specified; plain line");
    EXPECT_EQ(tool_messages("\n  \n", "lxc-start", "c"), "");
}

}  // namespace
}  // namespace berth::plugins::lxc
