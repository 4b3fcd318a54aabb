// Options of the lxc plugin: the schema, the modes and the rules between options. No LXC needed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "lxc_options.hpp"

namespace berth::plugins::lxc {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

lxc_options parse(const json& j) { return parse_options(j.dump()); }

// The message of the error parse throws; fails the test if it does not throw.
std::string parse_error(const json& j) {
    try {
        (void)parse(j);
    } catch (const sdk::error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_INVALID_ARGUMENT) << e.what();
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "unexpected exception: " << e.what();
        return {};
    }
    ADD_FAILURE() << "accepted: " << j.dump();
    return {};
}

TEST(LxcOptions, SchemaIsValidJsonAndClosed) {
    const auto schema = json::parse(options_schema());
    EXPECT_EQ(schema["additionalProperties"], false);
    for (const char* key : {"container",
                            "template",
                            "name",
                            "lxc_template",
                            "lxc_template_args",
                            "lxcpath",
                            "config_file",
                            "command",
                            "tty",
                            "rows",
                            "cols",
                            "env",
                            "clear_env",
                            "keep_vars",
                            "uid",
                            "gid",
                            "namespaces",
                            "elevated_privileges",
                            "remount_sys_proc",
                            "ensure_running",
                            "destroy_on_close",
                            "stop_timeout"})
        EXPECT_TRUE(schema["properties"].contains(key)) << key;
    // lxc-attach has no --cwd and no --user: the CLI must refuse -w and -u for this runtime.
    EXPECT_FALSE(schema["properties"].contains("workdir"));
    EXPECT_FALSE(schema["properties"].contains("user"));
    EXPECT_FALSE(schema["properties"].contains("image"));
}

TEST(LxcOptions, AttachMode) {
    const auto o = parse({{"container", "web"}, {"command", {"sh", "-c", "echo hi"}}});
    EXPECT_EQ(o.mode, session_mode::attach);
    EXPECT_EQ(o.container, "web");
    EXPECT_EQ(fixed_target(o), "web");
    EXPECT_EQ(o.command, (std::vector<std::string>{"sh", "-c", "echo hi"}));
    EXPECT_FALSE(o.tty);
    EXPECT_EQ(o.rows, 24);
    EXPECT_EQ(o.cols, 80);
}

TEST(LxcOptions, EphemeralMode) {
    const auto o = parse({{"template", "tmpl"}, {"stop_timeout", 3}});
    EXPECT_EQ(o.mode, session_mode::ephemeral);
    EXPECT_EQ(o.template_container, "tmpl");
    EXPECT_EQ(fixed_target(o), "");  // the session names its copy
    EXPECT_EQ(o.stop_timeout, std::chrono::seconds(3));
    EXPECT_TRUE(o.command.empty());
}

TEST(LxcOptions, CreateMode) {
    const auto o = parse({{"name", "n1"},
                          {"lxc_template", "busybox"},
                          {"lxc_template_args", {"--foo", "bar"}},
                          {"config_file", "/etc/berth/lxc.conf"},
                          {"destroy_on_close", true}});
    EXPECT_EQ(o.mode, session_mode::create);
    EXPECT_EQ(o.name, "n1");
    EXPECT_EQ(fixed_target(o), "n1");
    EXPECT_EQ(o.lxc_template, "busybox");
    EXPECT_EQ(o.lxc_template_args, (std::vector<std::string>{"--foo", "bar"}));
    EXPECT_EQ(o.config_file, "/etc/berth/lxc.conf");
    EXPECT_TRUE(o.destroy_on_close);
}

TEST(LxcOptions, NeedsExactlyOneMode) {
    EXPECT_THAT(parse_error({{"command", {"true"}}}), HasSubstr("'container'"));
    EXPECT_THAT(parse_error({{"container", "a"}, {"template", "b"}}),
                HasSubstr("'container' and 'template' exclude each other"));
    EXPECT_THAT(parse_error({{"template", "b"}, {"lxc_template", "busybox"}, {"name", "x"}}),
                HasSubstr("exclude each other"));
    EXPECT_THAT(parse_error({{"name", "x"}}), HasSubstr("needs 'lxc_template'"));
    EXPECT_THAT(parse_error({{"lxc_template", "busybox"}}), HasSubstr("needs 'name'"));
    EXPECT_THAT(parse_error({{"container", "a"}, {"name", "x"}}),
                HasSubstr("option 'name' names a container to create"));
}

TEST(LxcOptions, RejectsUnknownAndMistypedOptions) {
    EXPECT_THAT(parse_error({{"container", "a"}, {"workdir", "/tmp"}}),
                HasSubstr("unknown option 'workdir'"));
    EXPECT_THAT(parse_error({{"container", "a"}, {"user", "root"}}),
                HasSubstr("unknown option 'user'"));
    EXPECT_THAT(parse_error({{"container", "a"}, {"uid", "0"}}),
                HasSubstr("option 'uid' must be an integer"));
    EXPECT_THAT(parse_error({{"container", "a"}, {"uid", -1}}), HasSubstr("at least 0"));
    EXPECT_THAT(parse_error({{"container", "a"}, {"command", json::array()}}),
                HasSubstr("'command' needs at least 1"));
    EXPECT_THAT(parse_error({{"container", "a"}, {"env", {{"A", 1}}}}),
                HasSubstr("'env.A' must be a string"));
}

TEST(LxcOptions, RejectsBadContainerNames) {
    EXPECT_THAT(parse_error({{"container", ""}}), HasSubstr("option 'container'"));
    EXPECT_THAT(parse_error({{"container", "a/b"}}), HasSubstr("without '/'"));
    EXPECT_THAT(parse_error({{"template", "-n"}}), HasSubstr("option 'template'"));
    EXPECT_THAT(parse_error({{"lxc_template", "busybox"}, {"name", "x\ny"}}),
                HasSubstr("option 'name'"));
    EXPECT_TRUE(valid_container_name("berth-0123456789ab"));
    EXPECT_TRUE(valid_container_name("my.container_1"));
    EXPECT_FALSE(valid_container_name("-x"));
}

TEST(LxcOptions, OptionsBoundToAMode) {
    EXPECT_THAT(parse_error({{"template", "t"}, {"ensure_running", true}}),
                HasSubstr("'ensure_running' applies to 'container'"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"destroy_on_close", true}}),
                HasSubstr("'destroy_on_close' applies to create mode"));
    EXPECT_THAT(parse_error({{"template", "t"}, {"config_file", "/x"}}),
                HasSubstr("'config_file' applies to create mode"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"lxc_template_args", {"a"}}}),
                HasSubstr("'lxc_template_args' goes with 'lxc_template'"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"stop_timeout", 1}}),
                HasSubstr("'stop_timeout' applies only when the session stops"));
    // A created container that is kept is not stopped either.
    EXPECT_THAT(parse_error({{"lxc_template", "busybox"}, {"name", "n"}, {"stop_timeout", 1}}),
                HasSubstr("'stop_timeout'"));
    EXPECT_NO_THROW((void)parse({{"lxc_template", "busybox"},
                                 {"name", "n"},
                                 {"destroy_on_close", true},
                                 {"stop_timeout", 1}}));
    EXPECT_NO_THROW((void)parse({{"container", "c"}, {"ensure_running", true}}));
}

TEST(LxcOptions, EnvironmentRules) {
    const auto o = parse({{"container", "c"},
                          {"env", {{"A", "1"}, {"B", "x y"}}},
                          {"clear_env", true},
                          {"keep_vars", {"TERM", "LANG"}}});
    EXPECT_EQ(o.env.at("B"), "x y");
    EXPECT_TRUE(o.clear_env);
    EXPECT_EQ(o.keep_vars, (std::vector<std::string>{"TERM", "LANG"}));
    EXPECT_THAT(parse_error({{"container", "c"}, {"keep_vars", {"TERM"}}}),
                HasSubstr("'keep_vars' needs 'clear_env'"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"clear_env", true}, {"keep_vars", {"A=B"}}}),
                HasSubstr("option 'keep_vars'"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"env", {{"A=B", "1"}}}}),
                HasSubstr("option 'env'"));
}

// lxc-attach's and lxc-create's argvs would end a value at a NUL without a word: the SDK's
// shared option check refuses it first, naming the option.
TEST(LxcOptions, NulBytesAreRefusedNamingTheOption) {
    const std::string nul("a\0b", 3);
    EXPECT_EQ(parse_error({{"container", "c"}, {"command", {"echo", nul}}}),
              R"(option 'command[1]' value "a\u0000b" contains a NUL byte)");
    EXPECT_EQ(parse_error({{"container", "c"}, {"env", {{"A", nul}}}}),
              R"(option 'env.A' value "a\u0000b" contains a NUL byte)");
    EXPECT_EQ(parse_error({{"container", "c"}, {"env", {{nul, "1"}}}}),
              R"(option 'env' has the name "a\u0000b", which contains a NUL byte)");
    EXPECT_EQ(parse_error({{"container", "c"}, {"clear_env", true}, {"keep_vars", {nul}}}),
              R"(option 'keep_vars[0]' value "a\u0000b" contains a NUL byte)");
    EXPECT_EQ(parse_error({{"container", "c"}, {"lxcpath", "/var/lib/" + nul}}),
              R"(option 'lxcpath' value "/var/lib/a\u0000b" contains a NUL byte)");
    EXPECT_EQ(
        parse_error(
            {{"name", "n"}, {"lxc_template", "busybox"}, {"lxc_template_args", {"--flag", nul}}}),
        R"(option 'lxc_template_args[1]' value "a\u0000b" contains a NUL byte)");
    EXPECT_EQ(parse_error({{"name", "n"}, {"lxc_template", nul}}),
              R"(option 'lxc_template' value "a\u0000b" contains a NUL byte)");
    EXPECT_EQ(parse_error({{"container", nul}}),
              R"(option 'container' value "a\u0000b" contains a NUL byte)");
}

TEST(LxcOptions, NamespacesAndPrivileges) {
    auto o = parse({{"container", "c"},
                    {"namespaces", "MOUNT|PID"},
                    {"remount_sys_proc", true},
                    {"elevated_privileges", "CAP|LSM"},
                    {"uid", 1000},
                    {"gid", 4294967294LL}});
    EXPECT_EQ(o.namespaces, "MOUNT|PID");
    EXPECT_TRUE(o.remount_sys_proc);
    EXPECT_EQ(o.elevated_privileges, "CAP|LSM");
    EXPECT_EQ(o.uid, 1000U);
    EXPECT_EQ(o.gid, 4294967294U);
    o = parse({{"container", "c"}, {"elevated_privileges", "ALL"}});
    ASSERT_TRUE(o.elevated_privileges.has_value());
    EXPECT_EQ(*o.elevated_privileges, "");
    EXPECT_FALSE(parse({{"container", "c"}}).elevated_privileges.has_value());

    EXPECT_THAT(parse_error({{"container", "c"}, {"namespaces", "MOUNT|BOGUS"}}),
                HasSubstr(R"(unknown name "BOGUS")"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"namespaces", ""}}),
                HasSubstr("option 'namespaces'"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"namespaces", "PID|"}}),
                HasSubstr(R"(unknown name "")"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"elevated_privileges", "ROOT"}}),
                HasSubstr("option 'elevated_privileges'"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"remount_sys_proc", true}}),
                HasSubstr("'remount_sys_proc' needs 'namespaces'"));
    EXPECT_THAT(parse_error({{"container", "c"}, {"uid", 4294967295LL}}), HasSubstr("at most"));
}

TEST(LxcOptions, PathsBecomeAbsolute) {
    const auto cwd = std::filesystem::current_path();
    const auto o = parse({{"lxc_template", "busybox"},
                          {"name", "n"},
                          {"lxcpath", "./lxc/../lxc2"},
                          {"config_file", "conf"}});
    EXPECT_EQ(o.lxcpath, (cwd / "lxc2").string());
    EXPECT_EQ(o.config_file, (cwd / "conf").string());
    EXPECT_THAT(parse_error({{"container", "c"}, {"lxcpath", ""}}),
                HasSubstr("option 'lxcpath' must not be empty"));
}

TEST(LxcOptions, TerminalSize) {
    const auto o = parse({{"container", "c"}, {"tty", true}, {"rows", 50}, {"cols", 132}});
    EXPECT_TRUE(o.tty);
    EXPECT_EQ(o.rows, 50);
    EXPECT_EQ(o.cols, 132);
    EXPECT_THAT(parse_error({{"container", "c"}, {"rows", 0}}), HasSubstr("'rows'"));
}

TEST(LxcOptions, HostValidatorAgrees) {
    // The host validates with the same schema before open; unknown keys are named there too.
    EXPECT_EQ(sdk::validate_options(options_schema(), R"({"container":"c"})"), "");
    EXPECT_THAT(sdk::validate_options(options_schema(), R"({"container":"c","imgae":"x"})"),
                HasSubstr("unknown option 'imgae'"));
}

}  // namespace
}  // namespace berth::plugins::lxc
