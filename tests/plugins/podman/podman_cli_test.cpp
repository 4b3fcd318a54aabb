// The berth CLI with the podman plugin, as a user runs it: the "done when" commands,
// exit statuses, and `berth health`.
#include "podman_fixture.hpp"

namespace berth::test::podman {
namespace {

using ::testing::HasSubstr;

class PodmanCli : public ::testing::Test {
protected:
    void SetUp() override { BERTH_REQUIRE_RUNTIME("podman"); }
};

TEST_F(PodmanCli, RunPrintsOutputAndExitsWithTheCommandsCode) {
    const auto r =
        run_berth({"run", "podman", "--image", test_image(), "--", "sh", "-c", "echo hi; exit 4"});
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_EQ(r.out, "hi\n");
}

TEST_F(PodmanCli, RunPassesStdinThrough) {
    const auto r = run_berth({"run", "podman", "--image", test_image(), "--", "cat"}, "abc\n");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "abc\n");
}

TEST_F(PodmanCli, ExecIntoARunningContainer) {
    const std::string name = "berth-test-cli-" + unique_suffix();
    ASSERT_EQ(
        podman({"run", "-d", "--pull=never", "--name=" + name, test_image(), "sleep", "100000"})
            .status,
        0);
    const auto r = run_berth({"run", "podman", "--container", name, "-e", "A=b", "--", "env"});
    const auto missing = run_berth({"run", "podman", "--container", name, "--", "no-such-cmd"});
    (void)podman({"rm", "--force", "--time=0", name});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("\nA=b\n"));
    EXPECT_EQ(missing.status, 127);
    EXPECT_THAT(missing.err, HasSubstr("executable file not found"));
}

TEST_F(PodmanCli, PodmanFailureExits125WithItsMessage) {
    const auto r =
        run_berth({"run", "podman", "--image", "localhost/berth-no-such:latest", "--", "true"});
    EXPECT_EQ(r.status, 125);
    EXPECT_THAT(
        r.err, HasSubstr("berth: session failed: localhost/berth-no-such:latest: image not known"));
}

TEST_F(PodmanCli, CommandNotFoundExits127) {
    const auto r = run_berth({"run", "podman", "--image", test_image(), "--", "no-such-cmd"});
    EXPECT_EQ(r.status, 127);
}

TEST_F(PodmanCli, UnknownOptionExits2NamingIt) {
    const auto r =
        run_berth({"run", "podman", "--image", test_image(), "--opt", "memroy=1g", "--", "true"});
    EXPECT_EQ(r.status, 2);
    EXPECT_THAT(r.err, HasSubstr("unknown option 'memroy'"));
}

TEST_F(PodmanCli, HealthReportsHealthyWithTheVersion) {
    const auto version = podman({"version", "--format", "{{.Client.Version}}"});
    ASSERT_EQ(version.status, 0);
    const auto r = run_berth({"health", "podman"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("healthy"));
    EXPECT_THAT(r.out, HasSubstr("version: " + version.out));
    EXPECT_THAT(r.out, HasSubstr("oci_runtime: "));
    EXPECT_THAT(r.out, HasSubstr("storage_driver: "));
    EXPECT_THAT(r.out, HasSubstr("cgroup_manager: "));
    EXPECT_THAT(r.out, HasSubstr("rootless: "));
}

TEST(PodmanCliNoRuntime, HealthIsUndetectedWithoutPodman) {
    // No BERTH_REQUIRE_RUNTIME: this test hides podman on purpose.
    const auto r =
        run_berth({"health", "podman", "--format", "json"}, {}, 60s, {{"PATH", "/nonexistent"}});
    const auto report = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_array()) << r.out << r.err;
    ASSERT_EQ(report.size(), 1U);
    EXPECT_EQ(report[0]["state"], "undetected");
    EXPECT_THAT(report[0]["detail"].get<std::string>(), HasSubstr("podman not found in PATH"));
}

}  // namespace
}  // namespace berth::test::podman
