// Options -> argv of the LXC tools. No LXC needed; the flags are the ones LXC 5.0 accepts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lxc_argv.hpp"
#include "lxc_options.hpp"

namespace berth::plugins::lxc {
namespace {

using json = nlohmann::json;
using argv = std::vector<std::string>;
using ::testing::Contains;
using ::testing::Not;

lxc_options parse(const json& j) { return parse_options(j.dump()); }

TEST(LxcArgv, AttachPlain) {
    const auto o = parse({{"container", "web"}, {"command", {"sh", "-c", "echo hi; exit 5"}}});
    EXPECT_EQ(attach_argv(o, "web"),
              (argv{"lxc-attach", "-n", "web", "--", "sh", "-c", "echo hi; exit 5"}));
}

TEST(LxcArgv, AttachWithoutCommandRunsTheShell) {
    const auto o = parse({{"container", "web"}, {"tty", true}});
    EXPECT_EQ(attach_argv(o, "web"), (argv{"lxc-attach", "-n", "web"}));
}

TEST(LxcArgv, AttachEveryFlag) {
    const auto o = parse({{"container", "web"},
                          {"lxcpath", "/srv/lxc"},
                          {"env", {{"A", "1"}, {"B", "x y"}}},
                          {"clear_env", true},
                          {"keep_vars", {"TERM"}},
                          {"uid", 1000},
                          {"gid", 100},
                          {"namespaces", "MOUNT|PID"},
                          {"elevated_privileges", "CAP|LSM"},
                          {"remount_sys_proc", true},
                          {"command", {"id"}}});
    EXPECT_EQ(attach_argv(o, "web"), (argv{"lxc-attach",
                                           "-n",
                                           "web",
                                           "-P",
                                           "/srv/lxc",
                                           "--clear-env",
                                           "--keep-var",
                                           "TERM",
                                           "--set-var",
                                           "A=1",
                                           "--set-var",
                                           "B=x y",
                                           "-u",
                                           "1000",
                                           "-g",
                                           "100",
                                           "-s",
                                           "MOUNT|PID",
                                           "--elevated-privileges=CAP|LSM",
                                           "-R",
                                           "--",
                                           "id"}));
}

TEST(LxcArgv, ElevatedPrivilegesAllIsTheBareFlag) {
    const auto o = parse({{"container", "c"}, {"elevated_privileges", "ALL"}, {"command", {"id"}}});
    EXPECT_EQ(attach_argv(o, "c"),
              (argv{"lxc-attach", "-n", "c", "--elevated-privileges", "--", "id"}));
}

TEST(LxcArgv, NeverFlagsThatLxc5LacksNorSudo) {
    const auto o = parse({{"container", "c"},
                          {"env", {{"A", "1"}}},
                          {"clear_env", true},
                          {"keep_vars", {"A"}},
                          {"command", {"true"}}});
    const auto a = attach_argv(o, "c");
    for (const char* bad :
         {"--user", "--cwd", "--keep-env", "--keep-capability", "--unshare-all", "sudo"})
        EXPECT_THAT(a, Not(Contains(std::string(bad))));
}

TEST(LxcArgv, CommandArgumentsAreNeverFlags) {
    // Everything after -- belongs to the command, even words that look like lxc-attach flags.
    const auto o = parse({{"container", "c"}, {"command", {"-n", "other", "--clear-env"}}});
    EXPECT_EQ(attach_argv(o, "c"),
              (argv{"lxc-attach", "-n", "c", "--", "-n", "other", "--clear-env"}));
}

TEST(LxcArgv, EphemeralCopy) {
    const auto o = parse({{"template", "tmpl"}});
    EXPECT_EQ(
        copy_argv(o, "berth-0123456789ab"),
        (argv{"lxc-copy", "-n", "tmpl", "-N", "berth-0123456789ab", "-e", "-B", "overlayfs"}));
    const auto p = parse({{"template", "tmpl"}, {"lxcpath", "/srv/lxc"}});
    EXPECT_EQ(copy_argv(p, "x"), (argv{"lxc-copy", "-n", "tmpl", "-P", "/srv/lxc", "-N", "x", "-e",
                                       "-B", "overlayfs"}));
}

TEST(LxcArgv, Create) {
    const auto o = parse({{"name", "n1"},
                          {"lxc_template", "busybox"},
                          {"config_file", "/etc/berth/lxc.conf"},
                          {"lxcpath", "/srv/lxc"},
                          {"lxc_template_args", {"--flavor", "x"}}});
    EXPECT_EQ(create_argv(o), (argv{"lxc-create", "-n", "n1", "-P", "/srv/lxc", "-t", "busybox",
                                    "-f", "/etc/berth/lxc.conf", "--", "--flavor", "x"}));
    const auto bare = parse({{"name", "n1"}, {"lxc_template", "busybox"}});
    EXPECT_EQ(create_argv(bare), (argv{"lxc-create", "-n", "n1", "-t", "busybox"}));
}

TEST(LxcArgv, Lifecycle) {
    EXPECT_EQ(start_argv("", "c"), (argv{"lxc-start", "-n", "c", "-d"}));
    EXPECT_EQ(start_argv("/p", "c"), (argv{"lxc-start", "-n", "c", "-P", "/p", "-d"}));
    EXPECT_EQ(wait_argv("", "c", "RUNNING", std::chrono::seconds(10)),
              (argv{"lxc-wait", "-n", "c", "-s", "RUNNING", "-t", "10"}));
    EXPECT_EQ(stop_argv("", "c", std::chrono::seconds(0)), (argv{"lxc-stop", "-n", "c", "-k"}));
    EXPECT_EQ(stop_argv("", "c", std::chrono::seconds(5)),
              (argv{"lxc-stop", "-n", "c", "-t", "5"}));
    EXPECT_EQ(destroy_argv("/p", "c"), (argv{"lxc-destroy", "-n", "c", "-P", "/p", "-f"}));
    EXPECT_EQ(state_argv("", "c"), (argv{"lxc-info", "-n", "c", "-s", "-p"}));
    EXPECT_EQ(list_argv(""), (argv{"lxc-ls", "-1"}));
    EXPECT_EQ(list_argv("/p"), (argv{"lxc-ls", "-P", "/p", "-1"}));
}

}  // namespace
}  // namespace berth::plugins::lxc
