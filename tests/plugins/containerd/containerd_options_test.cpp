// Options -> typed config: schema rules, the rules a schema cannot say, defaults from the
// environment, and error messages that name the option.
#include <gtest/gtest.h>
#include <berth/sdk/plugin.hpp>

#include "containerd_options.hpp"

namespace berth::plugins::containerd {
namespace {
using namespace std::chrono_literals;

environment_defaults defaults() {
    environment_defaults d;
    d.address = "/run/test/containerd.sock";
    d.ns = "testns";
    d.snapshotter = "";
    return d;
}

// The message of the INVALID_ARGUMENT error read_options throws, or "" when it accepts.
std::string rejection(const std::string& json) {
    try {
        (void)read_options(json, defaults());
    } catch (const sdk::error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_INVALID_ARGUMENT) << json;
        return e.what();
    }
    return {};
}

TEST(ContainerdOptions, RunModeDefaults) {
    const auto c = read_options(R"({"image":"img:1","command":["sh","-c","echo hi"]})", defaults());
    ASSERT_TRUE(c.run_mode());
    EXPECT_EQ(*c.image, "img:1");
    EXPECT_FALSE(c.container);
    EXPECT_EQ(c.command, (std::vector<std::string>{"sh", "-c", "echo hi"}));
    EXPECT_EQ(c.conn.ctr, "ctr");
    EXPECT_EQ(c.conn.address, "/run/test/containerd.sock");
    EXPECT_EQ(c.conn.ns, "testns");
    EXPECT_EQ(c.conn.connect_timeout, 2000ms);
    EXPECT_EQ(c.init, (std::vector<std::string>{"sleep", "2147483647"}));
    EXPECT_TRUE(c.name.empty());
    EXPECT_FALSE(c.tty);
    EXPECT_EQ(c.rows, 24);
    EXPECT_EQ(c.cols, 80);
    EXPECT_FALSE(c.memory_limit);
    EXPECT_FALSE(c.cpus);
}

TEST(ContainerdOptions, EveryRunOptionIsRead) {
    const auto c = read_options(R"({
        "image": "img", "command": ["top"], "tty": true, "rows": 40, "cols": 120,
        "workdir": "/srv", "user": "1000:1000", "env": {"A": "1", "B": "x=y"},
        "address": "/tmp/c.sock", "namespace": "ns1", "connect_timeout": "500ms",
        "ctr_path": "/opt/bin/ctr", "name": "my-box.1", "init": ["tail", "-f", "/dev/null"],
        "labels": {"team": "a"}, "mounts": ["type=bind,src=/data,dst=/data,options=rbind:ro"],
        "net_host": true, "privileged": true, "read_only": true, "memory_limit": "512m",
        "cpus": 1.5, "runtime": "io.containerd.runc.v2", "snapshotter": "native",
        "fifo_dir": "/run/fifos"})",
                                defaults());
    EXPECT_TRUE(c.tty);
    EXPECT_EQ(c.rows, 40);
    EXPECT_EQ(c.cols, 120);
    EXPECT_EQ(c.workdir, "/srv");
    EXPECT_EQ(c.user, "1000:1000");
    EXPECT_EQ(c.env, (std::map<std::string, std::string>{{"A", "1"}, {"B", "x=y"}}));
    EXPECT_EQ(c.conn.address, "/tmp/c.sock");
    EXPECT_EQ(c.conn.ns, "ns1");
    EXPECT_EQ(c.conn.connect_timeout, 500ms);
    EXPECT_EQ(c.conn.ctr, "/opt/bin/ctr");
    EXPECT_EQ(c.name, "my-box.1");
    EXPECT_EQ(c.target(), "my-box.1");
    EXPECT_EQ(c.init, (std::vector<std::string>{"tail", "-f", "/dev/null"}));
    EXPECT_EQ(c.labels.at("team"), "a");
    EXPECT_EQ(c.mounts.size(), 1U);
    EXPECT_TRUE(c.net_host);
    EXPECT_TRUE(c.privileged);
    EXPECT_TRUE(c.read_only);
    EXPECT_EQ(c.memory_limit, std::uint64_t{512} << 20);
    EXPECT_DOUBLE_EQ(c.cpus.value(), 1.5);
    EXPECT_EQ(c.runtime, "io.containerd.runc.v2");
    EXPECT_EQ(c.snapshotter, "native");
    EXPECT_EQ(c.fifo_dir, "/run/fifos");
}

TEST(ContainerdOptions, ExecMode) {
    const auto c =
        read_options(R"({"container":"web-1","command":["ls"],"user":"nobody"})", defaults());
    EXPECT_FALSE(c.run_mode());
    EXPECT_EQ(c.target(), "web-1");
    EXPECT_EQ(c.user, "nobody");
}

TEST(ContainerdOptions, SnapshotterDefaultsToTheEnvironment) {
    auto d = defaults();
    d.snapshotter = "native";
    EXPECT_EQ(read_options(R"({"image":"i","command":["x"]})", d).snapshotter, "native");
    EXPECT_EQ(
        read_options(R"({"image":"i","command":["x"],"snapshotter":"overlayfs"})", d).snapshotter,
        "overlayfs");
}

TEST(ContainerdOptions, EnvironmentDefaultsFollowCtr) {
    ::setenv("CONTAINERD_ADDRESS", "/run/x.sock", 1);
    ::setenv("CONTAINERD_NAMESPACE", "xns", 1);
    ::unsetenv("CONTAINERD_SNAPSHOTTER");
    auto d = environment_defaults::from_environment();
    EXPECT_EQ(d.address, "/run/x.sock");
    EXPECT_EQ(d.ns, "xns");
    EXPECT_EQ(d.snapshotter, "");
    ::unsetenv("CONTAINERD_ADDRESS");
    ::setenv("CONTAINERD_NAMESPACE", "", 1);  // empty counts as unset, as in ctr
    d = environment_defaults::from_environment();
    EXPECT_EQ(d.address, "/run/containerd/containerd.sock");
    EXPECT_EQ(d.ns, "default");
    ::unsetenv("CONTAINERD_NAMESPACE");
}

TEST(ContainerdOptions, RejectionsNameTheOptionAndWhatWasExpected) {
    struct bad {
        const char* json;
        const char* message;
    };
    for (const auto& [json, message] : std::initializer_list<bad>{
             {R"({"image":"i","command":["x"],"imgae":"y"})", "unknown option 'imgae'"},
             {R"({"image":"i"})", "missing required option 'command'"},
             {R"({"image":"i","command":[]})", "option 'command' needs at least 1 item(s)"},
             {R"({"image":"i","command":[""]})", "option 'command[0]' must not be empty"},
             {R"({"command":["x"]})", "missing option 'image' or 'container'"},
             {R"({"image":"i","container":"c","command":["x"]})",
              "options 'image' and 'container' exclude each other"},
             {R"({"image":"","command":["x"]})", "option 'image' must not be empty"},
             {R"({"image":"-x","command":["x"]})", "option 'image' must not start with '-'"},
             {R"({"container":"bad name","command":["x"]})",
              "option 'container' must be a containerd identifier"},
             {R"({"image":"i","name":"-x","command":["x"]})",
              "option 'name' must be a containerd identifier"},
             {R"({"image":"i","namespace":"a/b","command":["x"]})",
              "option 'namespace' must be a containerd identifier"},
             {R"({"container":"c","env":{"A":"1"},"command":["x"]})",
              "option 'env' needs 'image': ctr task exec cannot set environment variables"},
             {R"({"container":"c","mounts":[],"command":["x"]})", "option 'mounts' needs 'image'"},
             {R"({"container":"c","privileged":true,"command":["x"]})",
              "option 'privileged' needs 'image'"},
             {R"({"container":"c","name":"n","command":["x"]})", "option 'name' needs 'image'"},
             {R"({"image":"i","connect_timeout":"2","command":["x"]})",
              "option 'connect_timeout' must be a duration"},
             {R"({"image":"i","connect_timeout":"0s","command":["x"]})",
              "option 'connect_timeout' must be a duration"},
             {R"({"image":"i","memory_limit":"lots","command":["x"]})",
              "option 'memory_limit' must be a size in bytes"},
             {R"({"image":"i","memory_limit":"0","command":["x"]})",
              "option 'memory_limit' must be a size in bytes"},
             {R"({"image":"i","cpus":0,"command":["x"]})",
              "option 'cpus' must be a number of CPUs"},
             {R"({"image":"i","cpus":"1","command":["x"]})", "option 'cpus' must be a number"},
             {R"({"image":"i","workdir":"srv","command":["x"]})",
              "option 'workdir' must be an absolute path"},
             {R"({"image":"i","user":"","command":["x"]})", "option 'user' must not be empty"},
             {R"({"image":"i","rows":0,"command":["x"]})", "option 'rows' must be at least 1"},
             {R"({"image":"i","env":{"A=B":"1"},"command":["x"]})",
              "option 'env' has the invalid name \"A=B\""},
             {R"({"image":"i","labels":{"":"1"},"command":["x"]})",
              "option 'labels' has the invalid name \"\""},
             {R"({"image":"i","labels":{"berth.owner":"1"},"command":["x"]})",
              "option 'labels' has the name \"berth.owner\", which is reserved"},
             {R"({"image":"i","labels":{"berth.plugin":"1"},"command":["x"]})",
              "option 'labels' has the name \"berth.plugin\", which is reserved"},
             {R"({"image":"i","mounts":["/a:/b"],"command":["x"]})",
              "option 'mounts[0]' must be key=value fields"},
             {R"({"image":"i","mounts":["type=bind,src=/a,target=/b"],"command":["x"]})",
              "option 'mounts[0]' has the unknown field 'target'"},
             {R"({"image":"i","mounts":["type=bind,src=/a,dst=b"],"command":["x"]})",
              "option 'mounts[0]' needs an absolute destination path"},
             {R"({"image":"i","mounts":["src=/a,dst=/b"],"command":["x"]})",
              "option 'mounts[0]' needs a type"},
             {R"({"image":"i","mounts":["type=tmpfs"],"command":["x"]})",
              "option 'mounts[0]' needs dst=/path"},
             {R"({"image":"i","init":[],"command":["x"]})", "option 'init' needs at least 1 item"},
             {R"({"image":"i","fifo_dir":"tmp","command":["x"]})",
              "option 'fifo_dir' must be an absolute path"},
             {R"({"image":"i","ctr_path":"","command":["x"]})",
              "option 'ctr_path' must not be empty"},
             {R"({"image":"i","address":"","command":["x"]})",
              "option 'address' must not be empty"},
             {R"({"image":"i","command":["x"],"tty":"yes"})", "option 'tty' must be a boolean"},
         }) {
        const std::string got = rejection(json);
        EXPECT_NE(got.find(message), std::string::npos) << json << "\n  got: " << got;
    }
}

// ctr's argv would end a value at a NUL without a word (the command, the workdir, an env
// entry): the SDK's shared option check refuses it first, naming the option.
TEST(ContainerdOptions, NulBytesAreRefusedNamingTheOption) {
    struct bad {
        const char* json;
        const char* message;
    };
    for (const auto& [json, message] : std::initializer_list<bad>{
             {R"({"image":"i","command":["echo","a\u0000b"]})",
              R"(option 'command[1]' value "a\u0000b" contains a NUL byte)"},
             {R"({"image":"i","command":["x"],"workdir":"/srv\u0000/x"})",
              R"(option 'workdir' value "/srv\u0000/x" contains a NUL byte)"},
             {R"({"image":"i","command":["x"],"env":{"A":"b\u0000c"}})",
              R"(option 'env.A' value "b\u0000c" contains a NUL byte)"},
             {R"({"image":"i","command":["x"],"env":{"A\u0000B":"c"}})",
              R"(option 'env' has the name "A\u0000B", which contains a NUL byte)"},
             {R"({"image":"img\u0000:1","command":["x"]})",
              R"(option 'image' value "img\u0000:1" contains a NUL byte)"},
             {R"({"image":"i","command":["x"],"labels":{"k":"v\u0000"}})",
              R"(option 'labels.k' value "v\u0000" contains a NUL byte)"},
             {R"({"image":"i","command":["x"],"user":"root\u0000"})",
              R"(option 'user' value "root\u0000" contains a NUL byte)"},
         }) {
        EXPECT_EQ(rejection(json), message) << json;
    }
}

TEST(ContainerdOptions, Durations) {
    EXPECT_EQ(parse_duration("2s"), 2000ms);
    EXPECT_EQ(parse_duration("500ms"), 500ms);
    EXPECT_EQ(parse_duration("1.5s"), 1500ms);
    EXPECT_EQ(parse_duration("1m"), 60000ms);
    for (const char* bad : {"", "2", "s", "-1s", "0s", "0.1ms", "2h", "2 s", "inf s", "61m"})
        EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(ContainerdOptions, Sizes) {
    EXPECT_EQ(parse_size("1048576"), 1048576U);
    EXPECT_EQ(parse_size("100b"), 100U);
    EXPECT_EQ(parse_size("64k"), 65536U);
    EXPECT_EQ(parse_size("512M"), std::uint64_t{512} << 20);
    EXPECT_EQ(parse_size("1g"), std::uint64_t{1} << 30);
    EXPECT_EQ(parse_size("2GiB"), std::uint64_t{2} << 30);
    EXPECT_EQ(parse_size("1t"), std::uint64_t{1} << 40);
    for (const char* bad : {"", "m", "1.5g", "-1", "1x", "99999999999999999999", "16777216t"})
        EXPECT_FALSE(parse_size(bad)) << bad;
}

TEST(ContainerdOptions, Identifiers) {
    for (const char* good : {"a", "web-1", "a.b_c-d", "A1", "berth-0123456789ab"})
        EXPECT_TRUE(is_identifier(good)) << good;
    for (const char* bad : {"", "-a", "a-", "a..b", "a b", "a/b", "_a", "ä"})
        EXPECT_FALSE(is_identifier(bad)) << bad;
    EXPECT_TRUE(is_identifier(std::string(76, 'a')));
    EXPECT_FALSE(is_identifier(std::string(77, 'a')));
}

TEST(ContainerdOptions, SchemaUsesTheHostsKeyNames) {
    const std::string schema(options_schema());
    for (const char* key : {"\"command\"", "\"tty\"", "\"env\"", "\"workdir\"", "\"user\"",
                            "\"image\"", "\"container\"", "\"rows\"", "\"cols\""})
        EXPECT_NE(schema.find(key), std::string::npos) << key;
}

}  // namespace
}  // namespace berth::plugins::containerd
