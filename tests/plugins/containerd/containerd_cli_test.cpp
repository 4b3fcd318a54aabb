// `berth run containerd` and `berth health containerd` as a user runs them: the issue's
// "done when" command, each error class with its exit status and message, and health.
#include <gtest/gtest.h>

#include "containerd_test_env.hpp"

namespace berth::test::containerd {
namespace {
using namespace std::chrono_literals;

// The private daemon, the way a user points berth (and ctr) at a daemon.
std::map<std::string, std::string> daemon_env() {
    return {{"CONTAINERD_ADDRESS", containerd_address()},
            {"CONTAINERD_NAMESPACE", containerd_namespace()}};
}

cli_result berth_run(const std::vector<std::string>& args, const std::string& stdin_data = {}) {
    std::vector<std::string> full{"run", "containerd"};
    full.insert(full.end(), args.begin(), args.end());
    return run_berth(full, stdin_data, 60s, daemon_env());
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(ContainerdCli, DoneWhenReadsStdinAndExitsZero) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const auto r =
        berth_run({"--image", test_image(), "--", "sh", "-c", "read x; echo got $x"}, "hi\n");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "got hi\n");
    EXPECT_EQ(r.err, "");
}

TEST(ContainerdCli, FlagsAndOptionsReachTheContainer) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const std::string name = unique_name("berth-t-cli");
    // Explicit address/namespace options instead of the environment. (The repeatable --opt
    // comes before -u: a `--` right after a repeatable option only ends that option's values.)
    const auto r = run_berth({"run",     "containerd",
                              "--image", test_image(),
                              "--opt",   "address=" + containerd_address(),
                              "--opt",   "namespace=" + containerd_namespace(),
                              "--opt",   "name=" + name,
                              "--opt",   "connect_timeout=3s",
                              "-w",      "/etc",
                              "-u",      "nobody",
                              "--",      "sh",
                              "-c",      "pwd; id -u; echo oops >&2; exit 6"});
    EXPECT_EQ(r.status, 6) << r.err;
    EXPECT_EQ(r.out, "/etc\n65534\n");
    EXPECT_EQ(r.err, "oops\n");
    EXPECT_FALSE(has_container(name));
}

TEST(ContainerdCli, SignalDeathIs128PlusN) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const auto r = berth_run({"--image", test_image(), "--", "sh", "-c", "kill -TERM $$"});
    EXPECT_EQ(r.status, 128 + 15) << r.err;
}

TEST(ContainerdCli, ImageNotFound) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const std::string name = unique_name("berth-t-noimg");
    const auto r = berth_run(
        {"--image", "localhost/berth-no-such-image:1", "--opt", "name=" + name, "--", "true"});
    EXPECT_EQ(r.status, 125);
    EXPECT_TRUE(has(r.err,
                    "image 'localhost/berth-no-such-image:1' not found in containerd "
                    "namespace '" +
                        containerd_namespace() + "'"))
        << r.err;
    EXPECT_FALSE(has_container(name));
}

TEST(ContainerdCli, ContainerNotFound) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const auto r = berth_run({"--container", "berth-no-such-container", "--", "true"});
    EXPECT_EQ(r.status, 125);
    EXPECT_TRUE(has(r.err, "container 'berth-no-such-container' not found")) << r.err;
}

TEST(ContainerdCli, ContainerWithoutTask) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const std::string name = unique_name("berth-t-stopped");
    ASSERT_EQ(ctr({"container", "create", test_image(), name, "sh"}).status, 0);
    const auto r = berth_run({"--container", name, "--", "true"});
    (void)ctr({"container", "rm", name});
    EXPECT_EQ(r.status, 125);
    EXPECT_TRUE(has(r.err, "container '" + name + "' in containerd namespace")) << r.err;
    EXPECT_TRUE(has(r.err, "is not running")) << r.err;
}

TEST(ContainerdCli, IdAlreadyExistsLeavesTheOtherContainerAlone) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container other;
    const auto r =
        berth_run({"--image", test_image(), "--opt", "name=" + other.id(), "--", "true"});
    EXPECT_EQ(r.status, 125);
    EXPECT_TRUE(has(r.err, "container id '" + other.id() + "' is already taken")) << r.err;
    EXPECT_TRUE(has(r.err, "choose another 'name'")) << r.err;
    EXPECT_EQ(process_count(other.id()), 1);  // still there, still running
}

TEST(ContainerdCli, CommandNotFoundOrNotExecutableLikeAShell) {
    BERTH_REQUIRE_RUNTIME("ctr");
    scoped_container box;
    auto r = berth_run({"--container", box.id(), "--", "berth-no-such-command"});
    EXPECT_EQ(r.status, 127);
    EXPECT_TRUE(has(r.err, "executable file not found")) << r.err;
    r = berth_run({"--container", box.id(), "--", "/etc"});
    EXPECT_EQ(r.status, 126);
    EXPECT_TRUE(has(r.err, "permission denied")) << r.err;
    // Run mode too, and the container goes anyway.
    const std::string name = unique_name("berth-t-nocmd");
    r = berth_run(
        {"--image", test_image(), "--opt", "name=" + name, "--", "berth-no-such-command"});
    EXPECT_EQ(r.status, 127) << r.err;
    EXPECT_FALSE(has_container(name));
}

TEST(ContainerdCli, DaemonUnreachableNamesTheSocket) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const std::string socket = "/tmp/" + unique_name("berth-no-daemon") + ".sock";
    for (const char* mode : {"--image", "--container"}) {
        const auto r = run_berth(
            {"run", "containerd", mode, mode == std::string("--image") ? test_image() : "some-box",
             "--opt", "address=" + socket, "--opt", "connect_timeout=200ms", "--", "true"});
        EXPECT_EQ(r.status, 125) << mode;
        EXPECT_TRUE(
            has(r.err, "containerd is not answering on " + socket + " (gave up after 200ms)"))
            << mode << ": " << r.err;
    }
}

TEST(ContainerdCli, BadOptionsAreUsageErrors) {
    BERTH_REQUIRE_RUNTIME("ctr");
    auto r = berth_run({"--image", test_image(), "--opt", "memory_limit=lots", "--", "true"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(has(r.err, "option 'memory_limit' must be a size in bytes")) << r.err;
    r = berth_run({"--container", "box", "--opt", "privileged=true", "--", "true"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(has(r.err, "option 'privileged' needs 'image'")) << r.err;
    r = berth_run({"--image", test_image(), "--container", "box", "--", "true"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(has(r.err, "options 'image' and 'container' exclude each other")) << r.err;
}

TEST(ContainerdCli, HealthIsHealthyWithVersion) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const auto r = run_berth({"health", "containerd"}, {}, 30s, daemon_env());
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(has(r.out, "healthy")) << r.out;
    EXPECT_TRUE(has(r.out, "version: 1.")) << r.out;
    EXPECT_TRUE(has(r.out, "address: " + containerd_address())) << r.out;
    EXPECT_TRUE(has(r.out, "namespace: " + containerd_namespace())) << r.out;
    EXPECT_TRUE(has(r.out, "snapshotter: overlayfs")) << r.out;
}

TEST(ContainerdCli, HealthIsUnhealthyNamingTheSocket) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const std::string socket = "/tmp/" + unique_name("berth-no-daemon") + ".sock";
    const auto r = run_berth({"health", "containerd"}, {}, 30s,
                             {{"CONTAINERD_ADDRESS", socket}, {"CONTAINERD_NAMESPACE", "berth"}});
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_TRUE(has(r.out, "unhealthy")) << r.out;
    EXPECT_TRUE(has(r.out, "containerd is not answering on " + socket)) << r.out;
}

TEST(ContainerdCli, HealthIsUndetectedWithoutCtr) {
    const auto r = run_berth({"health", "containerd", "--format", "json"}, {}, 30s,
                             {{"PATH", "/nonexistent"}});
    const auto report = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_array()) << r.out << r.err;
    ASSERT_EQ(report.size(), 1U);
    EXPECT_EQ(report[0]["state"], "undetected");
    EXPECT_EQ(report[0]["detail"], "ctr not found in PATH: install the containerd package");
}

}  // namespace
}  // namespace berth::test::containerd
