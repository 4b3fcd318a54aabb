// Health: parsing podman's JSON, and every state against fake podman binaries (the real one
// is checked by the integration tests).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "podman_health.hpp"

namespace berth::plugins::podman {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;
namespace fs = std::filesystem;

// Real output of podman 4.3.1 on Debian 12 (trimmed).
constexpr std::string_view k_version_json =
    R"({"Client":{"APIVersion":"4.3.1","Version":"4.3.1","GoVersion":"go1.19.8","OsArch":"linux/amd64","Os":"linux"}})";
constexpr std::string_view k_info_json = R"({
  "host": {"cgroupManager": "cgroupfs", "cgroupVersion": "v1",
           "ociRuntime": {"name": "runc", "path": "/usr/bin/runc",
                          "version": "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1"},
           "security": {"rootless": false, "seccompEnabled": true}},
  "store": {"graphDriverName": "overlay"},
  "version": {"Version": "4.3.1"}})";

TEST(PodmanHealthParse, Version) {
    const auto v = parse_version_json(k_version_json);
    EXPECT_EQ(v.problem, "");
    EXPECT_EQ(v.version, "4.3.1");
    EXPECT_THAT(parse_version_json("{}").problem, HasSubstr("no Client.Version"));
    EXPECT_THAT(parse_version_json("nope").problem, HasSubstr("not valid JSON"));
}

TEST(PodmanHealthParse, Info) {
    std::string problem;
    const auto info = parse_info_json(k_info_json, problem);
    ASSERT_TRUE(info) << problem;
    EXPECT_EQ(info->oci_runtime, "runc");
    EXPECT_EQ(info->oci_runtime_version, "runc version 1.1.5+ds1");
    EXPECT_EQ(info->storage_driver, "overlay");
    EXPECT_EQ(info->cgroup_manager, "cgroupfs");
    EXPECT_EQ(info->cgroup_version, "v1");
    EXPECT_EQ(info->rootless, false);
    EXPECT_FALSE(parse_info_json("[]", problem));
    EXPECT_THAT(problem, HasSubstr("no 'host'"));
    EXPECT_FALSE(parse_info_json("{", problem));
    EXPECT_THAT(problem, HasSubstr("not valid JSON"));
}

// A fake podman: a shell script in a fresh folder.
class PodmanHealthFake : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("berth-podman-health-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string fake(const std::string& body) {
        const fs::path path = dir_ / "podman";
        std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
        fs::permissions(path, fs::perms::owner_all);
        return path.string();
    }

    fs::path dir_;
};

TEST_F(PodmanHealthFake, MissingBinaryIsUndetected) {
    const auto r = check_health((dir_ / "no-podman-here").string());
    EXPECT_EQ(r.state, BERTH_HEALTH_UNDETECTED);
    EXPECT_THAT(r.detail, HasSubstr("not found"));
    EXPECT_THAT(r.detail, HasSubstr("install podman"));
}

TEST_F(PodmanHealthFake, FailingVersionIsUnhealthyWithPodmansMessage) {
    const auto r = check_health(fake("echo 'Error: cannot open the database' >&2; exit 125"));
    EXPECT_EQ(r.state, BERTH_HEALTH_UNHEALTHY);
    EXPECT_THAT(r.detail, HasSubstr("version` failed: Error: cannot open the database"));
}

TEST_F(PodmanHealthFake, HangingVersionTimesOut) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = check_health(fake("exec sleep 30"),
                                {std::chrono::milliseconds(300), std::chrono::milliseconds(300)});
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(r.state, BERTH_HEALTH_UNHEALTHY);
    EXPECT_THAT(r.detail, HasSubstr("did not answer within 0.3 s"));
}

TEST_F(PodmanHealthFake, FailingInfoIsUnhealthyAndKeepsTheVersion) {
    const auto r =
        check_health(fake("if [ \"$1\" = version ]; then echo '" + std::string(k_version_json) +
                          "'; exit 0; fi\necho 'Error: runc not found' >&2; exit 125"));
    EXPECT_EQ(r.state, BERTH_HEALTH_UNHEALTHY);
    EXPECT_THAT(r.detail, HasSubstr("info` failed: Error: runc not found"));
    EXPECT_THAT(r.attributes, Contains(Pair("version", "4.3.1")));
}

TEST_F(PodmanHealthFake, GarbledVersionIsUnhealthy) {
    const auto r = check_health(fake("echo 'podman version 4.3.1'"));
    EXPECT_EQ(r.state, BERTH_HEALTH_UNHEALTHY);
    EXPECT_THAT(r.detail, HasSubstr("not valid JSON"));
}

TEST_F(PodmanHealthFake, WorkingPodmanIsHealthyWithItsSetUp) {
    const std::string info(k_info_json);
    const auto r =
        check_health(fake("if [ \"$1\" = version ]; then echo '" + std::string(k_version_json) +
                          "'; else cat <<'EOF'\n" + info + "\nEOF\nfi"));
    EXPECT_EQ(r.state, BERTH_HEALTH_HEALTHY) << r.detail;
    EXPECT_EQ(r.detail, "podman 4.3.1 (runc, overlay, cgroupfs, rootful)");
    EXPECT_THAT(r.attributes, Contains(Pair("version", "4.3.1")));
    EXPECT_THAT(r.attributes, Contains(Pair("oci_runtime", "runc")));
    EXPECT_THAT(r.attributes, Contains(Pair("storage_driver", "overlay")));
    EXPECT_THAT(r.attributes, Contains(Pair("cgroup_manager", "cgroupfs")));
    EXPECT_THAT(r.attributes, Contains(Pair("rootless", "false")));
}

}  // namespace
}  // namespace berth::plugins::podman
