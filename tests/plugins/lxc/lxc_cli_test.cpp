// The berth CLI with the lxc runtime, as a user runs it: exit statuses, flags the runtime
// refuses, errors, and `berth health`.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "lxc_fixture.hpp"

namespace berth::test::lxc {
namespace {

using ::testing::HasSubstr;

class LxcCliTest : public ::testing::Test {
protected:
    void SetUp() override { BERTH_REQUIRE_RUNTIME("lxc-attach"); }
};

TEST_F(LxcCliTest, EphemeralRunPrintsExitsAndLeavesNothing) {
    // The "done when": prints hi, exits 5, no container left.
    const auto r = run_berth({"run", "lxc", "--opt", "template=" + lxc_template(), "--", "sh", "-c",
                              "hostname >&2; echo hi; exit 5"});
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_EQ(r.out, "hi\n");
    std::string name;
    ASSERT_TRUE(RE2::PartialMatch(r.err, "(berth-[0-9a-f]{12})", &name)) << r.err;
    EXPECT_EQ(state_of(name), "MISSING");
}

TEST_F(LxcCliTest, ContainerFlagStdinAndExitStatuses) {
    scratch_container c(scratch_container::kind::running);
    ASSERT_TRUE(c.ok()) << c.error();
    auto r = run_berth({"run", "lxc", "--container", c.name(), "--", "cat"}, "from stdin\n");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "from stdin\n");
    r = run_berth({"run", "lxc", "--container", c.name(), "--", "sh", "-c", "exit 3"});
    EXPECT_EQ(r.status, 3);
    r = run_berth({"run", "lxc", "--container", c.name(), "--", "berth-no-such-command"});
    EXPECT_EQ(r.status, 127) << r.err;
    r = run_berth({"run", "lxc", "--container", c.name(), "--", "/etc/passwd"});
    EXPECT_EQ(r.status, 126) << r.err;
    r = run_berth({"run", "lxc", "--container", c.name(), "-e", "GREETING=hello", "--", "sh", "-c",
                   "echo $GREETING"});
    EXPECT_EQ(r.out, "hello\n");
    r = run_berth({"run", "lxc", "--container", c.name(), "--opt", "uid=65534", "--", "id", "-u"});
    EXPECT_EQ(r.out, "65534\n");
}

TEST_F(LxcCliTest, WorkdirAndUserAreRefused) {
    // lxc-attach has neither --cwd nor --user; saying so beats ignoring the flag.
    auto r = run_berth({"run", "lxc", "--container", "c", "-w", "/tmp", "--", "true"});
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.err, HasSubstr("does not accept -w/--workdir"));
    r = run_berth({"run", "lxc", "--container", "c", "-u", "nobody", "--", "true"});
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.err, HasSubstr("does not accept -u/--user"));
    r = run_berth({"run", "lxc", "--container", "c", "--opt", "uid=root", "--", "true"});
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.err, HasSubstr("'uid' must be an integer"));
}

TEST_F(LxcCliTest, MissingContainerExits125WithTheReason) {
    const auto name = unique_name("missing");
    const auto r = run_berth({"run", "lxc", "--container", name, "--", "true"});
    EXPECT_EQ(r.status, 125);
    EXPECT_THAT(r.err, HasSubstr("container '" + name + "' does not exist"));
}

TEST_F(LxcCliTest, HealthIsHealthyWithVersion) {
    const auto r = run_berth({"health", "lxc", "--format", "json"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    const auto report = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_array() && report.size() == 1) << r.out;
    const auto& lxc = report[0];
    EXPECT_EQ(lxc["runtime"], "lxc");
    EXPECT_EQ(lxc["plugin"], "berth-lxc");
    EXPECT_EQ(lxc["state"], "healthy") << lxc.dump();
    const auto version = tool({"lxc-start", "--version"});
    std::string expected = version.out;
    expected.erase(expected.find_last_not_of(" \n") + 1);
    EXPECT_EQ(lxc["attributes"]["version"], expected);
    auto lxcpath = tool({"lxc-config", "lxc.lxcpath"}).out;
    lxcpath.erase(lxcpath.find_last_not_of(" \n") + 1);
    EXPECT_EQ(lxc["attributes"]["lxcpath"], lxcpath);
    EXPECT_TRUE(lxc["attributes"].contains("cgroup_layout"));
    EXPECT_GE(std::stoi(lxc["attributes"]["containers"].get<std::string>()), 1);  // the template
}

TEST_F(LxcCliTest, HealthIsUndetectedWithoutTheTools) {
    const auto r = run_argv(
        {"env", "PATH=/nonexistent", berth_binary().string(), "health", "lxc", "--format", "json"});
    const auto report = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_array() && report.size() == 1) << r.out << r.err;
    EXPECT_EQ(report[0]["state"], "undetected");
    EXPECT_THAT(report[0]["detail"].get<std::string>(), HasSubstr("lxc-attach not found"));
}

TEST_F(LxcCliTest, HealthIsUnhealthyWhenTheLxcpathIsNotWritable) {
    // A user's lxcpath is ~/.local/share/lxc; with HOME=/nonexistent nothing of it can be made.
    // As root, drop to nobody for the check (berth itself never changes users).
    std::vector<std::string> argv;
    if (::geteuid() == 0) argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    const std::vector<std::string> health{
        "env", "HOME=/nonexistent", berth_binary().string(), "health", "lxc", "--format", "json"};
    argv.insert(argv.end(), health.begin(), health.end());
    const auto r = run_argv(argv);
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    const auto report = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_array() && report.size() == 1) << r.out << r.err;
    EXPECT_EQ(report[0]["state"], "unhealthy");
    EXPECT_THAT(report[0]["detail"].get<std::string>(),
                HasSubstr("lxcpath /nonexistent/.local/share/lxc is unusable"));
    EXPECT_THAT(report[0]["detail"].get<std::string>(), HasSubstr("never uses sudo"));
}

TEST_F(LxcCliTest, PluginInfoShowsTheSchema) {
    const auto r = run_berth({"plugin", "info", "lxc"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("berth-lxc"));
    EXPECT_THAT(r.out, HasSubstr("ensure_running"));
}

}  // namespace
}  // namespace berth::test::lxc
