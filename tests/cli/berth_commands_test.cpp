// `berth plugin ls|info`, `berth health`, `berth --version`.
#include <berth/plugin.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace berth::test {
namespace {
using json = nlohmann::json;

// Only the build's plugins: the system dirs of the machine must not change test results.
const std::map<std::string, std::string> k_env = {{"BERTH_PLUGIN_SYSTEM_PATH", ""}};

TEST(BerthCommands, VersionNamesBerthAndTheAbi) {
    const auto r = run_berth({"--version"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out.rfind("berth ", 0), 0U);
    EXPECT_NE(r.out.find("plugin ABI " + std::to_string(BERTH_ABI_VERSION_MAJOR) + "." +
                         std::to_string(BERTH_ABI_VERSION_MINOR)),
              std::string::npos);
}

TEST(BerthCommands, PluginLsFindsLocalBesideTheBinary) {
    const auto r = run_berth({"plugin", "ls"}, {}, std::chrono::seconds(30), k_env);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("local"), std::string::npos);
    EXPECT_NE(r.out.find("pipes,pty,resize,signal,stdin-eof"), std::string::npos);
}

TEST(BerthCommands, PluginLsJsonListsRejectedFilesWithTheirReason) {
    auto env = k_env;
    env["BERTH_PLUGIN_PATH"] =
        std::string(BERTH_FAKE_PLUGIN_ROOT) + "/newer_minor:" + BERTH_FAKE_PLUGIN_ROOT + "/not_elf";
    const auto r =
        run_berth({"plugin", "ls", "--format", "json"}, {}, std::chrono::seconds(30), env);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = json::parse(r.out);
    bool saw_local = false, saw_minor = false, saw_not_elf = false;
    for (const auto& p : j) {
        if (p.value("runtime", "") == "local" && p["status"] == "loaded") saw_local = true;
        if (p["status"] == "rejected" &&
            p["reason"].get<std::string>().find("newer than host ABI") != std::string::npos)
            saw_minor = true;
        if (p["status"] == "rejected" && p["reason"] == "not an ELF file") saw_not_elf = true;
    }
    EXPECT_TRUE(saw_local && saw_minor && saw_not_elf) << r.out;
}

TEST(BerthCommands, PluginLsSurvivesAPluginThatCrashesWhileLoading) {
    auto env = k_env;
    env["BERTH_PLUGIN_PATH"] = std::string(BERTH_FAKE_PLUGIN_ROOT) + "/aborts";
    const auto r = run_berth({"plugin", "ls"}, {}, std::chrono::seconds(30), env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("fake_aborts.so: rejected: crashed while loading (signal 6, SIGABRT) "
                         "in a probe process"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("berth-local"), std::string::npos) << r.out;
}

TEST(BerthCommands, PluginInfoShowsOptions) {
    const auto r = run_berth({"plugin", "info", "local"}, {}, std::chrono::seconds(30), k_env);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("runtime:      local"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("command"), std::string::npos);
    EXPECT_NE(r.out.find("(required)"), std::string::npos);
    EXPECT_EQ(run_berth({"plugin", "info", "nope"}, {}, std::chrono::seconds(30), k_env).status, 1);
}

TEST(BerthCommands, HealthReportsLocalHealthy) {
    const auto r =
        run_berth({"health", "local", "--format", "json"}, {}, std::chrono::seconds(30), k_env);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = json::parse(r.out);
    ASSERT_EQ(j.size(), 1U);
    EXPECT_EQ(j[0]["runtime"], "local");
    EXPECT_EQ(j[0]["state"], "healthy");
    EXPECT_TRUE(j[0]["attributes"].contains("kernel"));
    EXPECT_GT(j[0]["latency_ms"].get<double>(), 0.0);
}

TEST(BerthCommands, LogLevelMustBeKnown) {
    EXPECT_EQ(run_berth({"--log-level", "loud", "plugin", "ls"}).status, 2);
}

// spdlog reads an unknown level name as "off": the variable must warn, not silence the program.
TEST(BerthCommands, AnUnknownLogLevelInTheEnvironmentIsNamedAndTheCommandRuns) {
    auto env = k_env;
    env["BERTH_LOG_LEVEL"] = "loud";
    const auto r = run_berth({"plugin", "ls"}, {}, std::chrono::seconds(30), env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("BERTH_LOG_LEVEL='loud' is not a level (trace|debug|"), std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace berth::test
