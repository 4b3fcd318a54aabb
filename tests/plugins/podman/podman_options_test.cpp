// Option parsing: every option read into the typed struct, every rule the schema cannot say.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include "podman_options.hpp"

namespace berth::plugins::podman {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(PodmanOptions, ReadsEveryOption) {
    const auto o = parse_options(R"({
        "image": "localhost/x:1", "command": ["sh", "-c", "echo\nhi"], "tty": true,
        "rows": 40, "cols": 120, "env": {"A": "1"}, "workdir": "/srv", "user": "nobody",
        "privileged": true, "name": "my.box-1", "network": "none", "volumes": ["/a:/b"],
        "ports": ["80:80"], "labels": {"l": "v"}, "memory": "1.5g", "cpus": 0.5,
        "read_only": true, "cap_add": ["NET_RAW"], "cap_drop": ["ALL"],
        "security_opt": ["label=disable"], "devices": ["/dev/null"], "tmpfs": ["/run"],
        "init": true, "pull": "missing", "binary": "/usr/bin/podman",
        "url": "unix:///x.sock", "log_level": "error"})");
    EXPECT_EQ(o.mode, session_mode::run);
    EXPECT_EQ(o.image, "localhost/x:1");
    EXPECT_THAT(o.command, ElementsAre("sh", "-c", "echo\nhi"));
    EXPECT_TRUE(o.tty);
    EXPECT_EQ(o.rows, 40);
    EXPECT_EQ(o.cols, 120);
    EXPECT_THAT(o.env, ElementsAre(Pair("A", "1")));
    EXPECT_EQ(o.workdir, "/srv");
    EXPECT_EQ(o.user, "nobody");
    EXPECT_TRUE(o.privileged);
    EXPECT_EQ(o.name, "my.box-1");
    EXPECT_EQ(o.network, "none");
    EXPECT_THAT(o.volumes, ElementsAre("/a:/b"));
    EXPECT_THAT(o.ports, ElementsAre("80:80"));
    EXPECT_THAT(o.labels, ElementsAre(Pair("l", "v")));
    EXPECT_EQ(o.memory, "1.5g");
    ASSERT_TRUE(o.cpus.has_value());
    EXPECT_DOUBLE_EQ(*o.cpus, 0.5);
    EXPECT_TRUE(o.read_only);
    EXPECT_THAT(o.cap_add, ElementsAre("NET_RAW"));
    EXPECT_THAT(o.cap_drop, ElementsAre("ALL"));
    EXPECT_THAT(o.security_opt, ElementsAre("label=disable"));
    EXPECT_THAT(o.devices, ElementsAre("/dev/null"));
    EXPECT_THAT(o.tmpfs, ElementsAre("/run"));
    EXPECT_TRUE(o.init);
    EXPECT_EQ(o.pull, "missing");
    EXPECT_EQ(o.binary, "/usr/bin/podman");
    EXPECT_EQ(o.url, "unix:///x.sock");
    EXPECT_FALSE(o.local());
    EXPECT_EQ(o.log_level, "error");
}

TEST(PodmanOptions, DefaultsAreLocalNeverPullNoTty) {
    const auto o = parse_options(R"({"image": "img"})");
    EXPECT_EQ(o.pull, "never");
    EXPECT_EQ(o.binary, "podman");
    EXPECT_TRUE(o.local());
    EXPECT_FALSE(o.tty);
    EXPECT_EQ(o.rows, 24);
    EXPECT_EQ(o.cols, 80);
    EXPECT_TRUE(o.command.empty());
    EXPECT_TRUE(o.name.empty());
}

TEST(PodmanOptions, ContainerMeansExecMode) {
    const auto o = parse_options(R"({"container": "c1", "command": ["true"]})");
    EXPECT_EQ(o.mode, session_mode::exec);
    EXPECT_EQ(o.container, "c1");
}

TEST(PodmanOptions, SchemaIsValidJsonSchemaForTheSdkValidator) {
    EXPECT_EQ(sdk::validate_options(options_schema(), R"({"image": "i"})"), "");
    EXPECT_THAT(sdk::validate_options(options_schema(), R"({"imgae": "i"})"),
                HasSubstr("unknown option 'imgae'"));
    // berth run maps its flags onto these names.
    for (const char* key : {"\"command\"", "\"tty\"", "\"env\"", "\"workdir\"", "\"user\"",
                            "\"image\"", "\"container\"", "\"rows\"", "\"cols\""})
        EXPECT_THAT(std::string(options_schema()), HasSubstr(key));
}

struct bad_case {
    const char* json;
    const char* message;  // a part of the error that names the option and the problem
};

class PodmanBadOptions : public ::testing::TestWithParam<bad_case> {};

TEST_P(PodmanBadOptions, AreRejectedWithAClearMessage) {
    try {
        (void)parse_options(GetParam().json);
        ADD_FAILURE() << "accepted: " << GetParam().json;
    } catch (const sdk::error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_INVALID_ARGUMENT);
        EXPECT_THAT(e.what(), HasSubstr(GetParam().message));
    }
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, PodmanBadOptions,
    ::testing::Values(
        bad_case{R"({"image": "i", "imgae": "x"})", "unknown option 'imgae'"},
        bad_case{R"({"command": ["true"]})", "missing option 'image'"},
        bad_case{R"({"image": "i", "container": "c"})", "exclude each other"},
        bad_case{R"({"image": "-i"})", "'image' must not start with '-'"},
        bad_case{R"({"image": ""})", "'image' must not be empty"},
        bad_case{R"({"image": "a b"})", "'image' must not contain spaces"},
        bad_case{R"({"container": "--all", "command": ["true"]})",
                 "'container' must not start with '-'"},
        bad_case{R"({"container": "c"})", "exec into 'c' needs a command"},
        bad_case{R"({"image": "i", "command": [""]})", "'command[0]' must not be empty"},
        bad_case{R"({"image": "i", "command": ["a\u0000b"]})",
                 R"(option 'command[0]' value "a\u0000b" contains a NUL byte)"},
        bad_case{R"({"image": "i", "env": {"A": "b\u0000c"}})",
                 R"(option 'env.A' value "b\u0000c" contains a NUL byte)"},
        bad_case{R"({"image": "i", "env": {"A\u0000B": "c"}})",
                 R"(option 'env' has the name "A\u0000B", which contains a NUL byte)"},
        bad_case{R"({"image": "i", "workdir": "/srv\u0000"})",
                 R"(option 'workdir' value "/srv\u0000" contains a NUL byte)"},
        bad_case{R"({"image": "busy\u0000box"})",
                 R"(option 'image' value "busy\u0000box" contains a NUL byte)"},
        bad_case{R"({"image": "i", "volumes": ["/a:/b\u0000"]})",
                 R"(option 'volumes[0]' value "/a:/b\u0000" contains a NUL byte)"},
        bad_case{R"({"image": "i", "command": []})", "'command' needs at least 1"},
        bad_case{R"({"image": "i", "tty": "yes"})", "'tty' must be a boolean"},
        bad_case{R"({"image": "i", "rows": 0})", "'rows' must be at least 1"},
        bad_case{R"({"image": "i", "cols": 70000})", "'cols' must be at most 65535"},
        bad_case{R"({"image": "i", "env": {"A=B": "1"}})",
                 R"(option 'env' has the invalid name "A=B")"},
        bad_case{R"({"image": "i", "env": {"": "1"}})", R"(option 'env' has the invalid name "")"},
        bad_case{R"({"image": "i", "env": {"A": "1\n2"}})",
                 "'env.A' must not contain a line break"},
        bad_case{R"({"image": "i", "env": {"A": 1}})", "'env.A' must be a string"},
        bad_case{R"({"image": "i", "env": {"BERTH_PODMAN_SESSION": "x"}})", "is reserved"},
        bad_case{R"({"image": "i", "workdir": "tmp"})", "'workdir' must be an absolute path"},
        bad_case{R"({"image": "i", "user": ""})", "'user' must not be empty"},
        bad_case{R"({"image": "i", "name": "-x"})", "'name' must match"},
        bad_case{R"({"image": "i", "name": "a b"})", "'name' must match"},
        bad_case{R"({"image": "i", "network": ""})", "'network' must not be empty"},
        bad_case{R"({"image": "i", "volumes": ["/a:/b", ""]})", "'volumes[1]' must not be empty"},
        bad_case{R"({"image": "i", "volumes": "/a:/b"})", "'volumes' must be an array"},
        bad_case{R"({"image": "i", "ports": ["80\n81"]})",
                 "'ports[0]' must not contain a line break"},
        bad_case{R"({"image": "i", "labels": {"a=b": "c"}})",
                 R"(option 'labels' has the invalid name "a=b")"},
        bad_case{R"({"image": "i", "labels": {"berth.owner": "x"}})",
                 R"(option 'labels' has the name "berth.owner", which is reserved)"},
        bad_case{R"({"image": "i", "labels": {"berth.session": "x"}})",
                 R"(option 'labels' has the name "berth.session", which is reserved)"},
        bad_case{R"({"image": "i", "memory": "lots"})", "'memory' must be a size"},
        bad_case{R"({"image": "i", "memory": "1.g"})", "'memory' must be a size"},
        bad_case{R"({"image": "i", "cpus": 0})", "'cpus' must be a number greater than 0"},
        bad_case{R"({"image": "i", "cpus": "2"})", "'cpus' must be a number"},
        bad_case{R"({"image": "i", "read_only": 1})", "'read_only' must be a boolean"},
        bad_case{R"({"image": "i", "cap_add": [""]})", "'cap_add[0]' must not be empty"},
        bad_case{R"({"image": "i", "cap_drop": [1]})", "'cap_drop[0]' must be a string"},
        bad_case{R"({"image": "i", "security_opt": [""]})", "'security_opt[0]' must not be empty"},
        bad_case{R"({"image": "i", "devices": [""]})", "'devices[0]' must not be empty"},
        bad_case{R"({"image": "i", "tmpfs": [""]})", "'tmpfs[0]' must not be empty"},
        bad_case{R"({"image": "i", "init": "no"})", "'init' must be a boolean"},
        bad_case{R"({"image": "i", "pull": "sometimes"})", "'pull' must be one of"},
        bad_case{R"({"image": "i", "binary": ""})", "'binary' must not be empty"},
        bad_case{R"({"image": "i", "url": "u", "connection": "c"})", "exclude each other"},
        bad_case{R"({"image": "i", "url": ""})", "'url' must not be empty"},
        bad_case{R"({"image": "i", "connection": ""})", "'connection' must not be empty"},
        bad_case{R"({"image": "i", "log_level": "loud"})", "'log_level' must be one of"},
        bad_case{R"({"container": "c", "command": ["true"], "memory": "1g"})",
                 "'memory' applies only to a new container"},
        bad_case{R"({"container": "c", "command": ["true"], "volumes": []})",
                 "'volumes' applies only to a new container"},
        bad_case{R"({"container": "c", "command": ["true"], "pull": "never"})",
                 "'pull' applies only to a new container"},
        bad_case{R"([1, 2])", "must be a JSON object"},
        bad_case{R"({"image": )", "not valid JSON"}));

}  // namespace
}  // namespace berth::plugins::podman
