// `berth plugin validate FILE`: one test per defect in tests/fake_plugins, each asserting the
// exit status and the reason a plugin author reads; the good fake and the real `local` plugin
// pass.
#include <berth/plugin.h>
#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace berth::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using json = nlohmann::json;

// The fake plugin built for one variant (one .so per folder).
fs::path fake(const std::string& variant) {
    const fs::path dir = fs::path(BERTH_FAKE_PLUGIN_ROOT) / variant;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".so") return e.path();
    ADD_FAILURE() << "no fake plugin in " << dir;
    return {};
}

std::string abi(unsigned major, unsigned minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}
const std::string k_host_abi = abi(BERTH_ABI_VERSION_MAJOR, BERTH_ABI_VERSION_MINOR);

cli_result validate(const fs::path& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"plugin", "validate", file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_berth(args, {}, 60s);
}

// Asserts a failed validation: exit 1, and the line for `check` says FAIL and `reason`.
void expect_fails(const cli_result& r, const std::string& check, const std::string& reason) {
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    const std::string head = "FAIL  " + check;
    const auto at = r.out.find(head);
    ASSERT_NE(at, std::string::npos) << r.out << r.err;
    const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
    EXPECT_NE(line.find(reason), std::string::npos) << line;
    EXPECT_NE(r.out.find("not valid: the " + check + " check failed"), std::string::npos) << r.out;
}

TEST(PluginValidate, TheGoodFakePluginPassesEveryCheck) {
    const auto r = validate(fake("good"));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    for (const char* check : {"file", "load", "entry", "abi", "descriptor", "functions", "create",
                              "options_schema", "health", "destroy"})
        EXPECT_NE(r.out.find(std::string("PASS  ") + check), std::string::npos) << check << r.out;
    EXPECT_NE(r.out.find("plugin ABI " + k_host_abi + ", host ABI " + k_host_abi),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("healthy: fake is always fine"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("valid: every check passed"), std::string::npos) << r.out;
}

TEST(PluginValidate, TheLocalPluginPasses) {
    const auto r = validate(plugin_dir() / "local.so");
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("runtime 'local'"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("PASS  health          healthy"), std::string::npos) << r.out;
}

TEST(PluginValidate, AnOlderMinorPasses) {
    const auto r = validate(fake("abi_1_0"));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(
        r.out.find("plugin ABI " + abi(BERTH_ABI_VERSION_MAJOR, 0) + ", host ABI " + k_host_abi),
        std::string::npos)
        << r.out;
}

TEST(PluginValidate, AMissingFileFails) {
    expect_fails(validate("/nonexistent/berth-no-such-plugin.so"), "file",
                 "cannot open file: No such file or directory");
}

TEST(PluginValidate, ATextFileNamedLikeAPluginIsNotElf) {
    const fs::path dir =
        fs::temp_directory_path() / ("berth-validate-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path file = dir / "x.so";
    std::ofstream(file) << "this is a text file, not a plugin\n";
    const auto r = validate(file);
    fs::remove_all(dir);
    expect_fails(r, "file", "not an ELF file");
    EXPECT_NE(r.out.find("SKIP  load            not run: an earlier check failed"),
              std::string::npos)
        << r.out;
}

TEST(PluginValidate, APluginForAnotherArchitecture) {
    // The local plugin with its ELF machine field rewritten to aarch64.
    const fs::path dir =
        fs::temp_directory_path() / ("berth-validate-arch-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path copy = dir / "arm.so";
    fs::copy_file(plugin_dir() / "local.so", copy, fs::copy_options::overwrite_existing);
    {
        std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(18);  // e_machine
        const char aarch64[2] = {static_cast<char>(EM_AARCH64 & 0xff), 0};
        f.write(aarch64, 2);
    }
    const auto r = validate(copy);
    fs::remove_all(dir);
    expect_fails(r, "file", "built for 64-bit aarch64, but this host is 64-bit x86-64");
}

TEST(PluginValidate, NoEntrySymbol) {
    expect_fails(validate(fake("no_entry")), "entry",
                 "no berth_plugin_entry_v1 symbol: not a berth plugin");
}

TEST(PluginValidate, AnEntryThatReturnsNoDescriptor) {
    expect_fails(validate(fake("no_descriptor")), "entry",
                 "berth_plugin_entry_v1 returned no descriptor");
}

TEST(PluginValidate, AnEntryThatAbortsIsReportedAsACrashThere) {
    expect_fails(validate(fake("aborts")), "entry",
                 "crashed (signal 6, SIGABRT) in berth_plugin_entry_v1; only the probe process "
                 "died");
}

TEST(PluginValidate, AnEntryThatHangsIsStoppedAfterTheBound) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = validate(fake("hangs"), {"--timeout-ms", "1000"});
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    expect_fails(r, "entry", "berth_plugin_entry_v1 did not return within 1000 ms");
}

TEST(PluginValidate, AStaticInitialiserThatHangsIsStoppedAfterTheBound) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = validate(fake("init_hangs"), {"--timeout-ms", "1000"});
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    expect_fails(r, "load",
                 "dlopen (the plugin's static initialisers) did not return within 1000 ms");
}

TEST(PluginValidate, AnAbiTooNewNamesBothVersions) {
    expect_fails(validate(fake("newer_minor")), "abi",
                 "plugin ABI " + abi(BERTH_ABI_VERSION_MAJOR, BERTH_ABI_VERSION_MINOR + 5) +
                     " is newer than host ABI " + k_host_abi +
                     ": upgrade berth or use an older plugin build");
}

TEST(PluginValidate, AnotherMajorNamesBothVersions) {
    expect_fails(validate(fake("major_mismatch")), "abi",
                 "ABI major version mismatch: plugin ABI " +
                     abi(BERTH_ABI_VERSION_MAJOR + 1, BERTH_ABI_VERSION_MINOR) + ", host ABI " +
                     k_host_abi);
}

TEST(PluginValidate, ADescriptorTooSmall) {
    expect_fails(validate(fake("descriptor_too_small")), "descriptor",
                 "is smaller than the ABI 1.0 minimum");
}

TEST(PluginValidate, AnInvalidRuntimeId) {
    expect_fails(validate(fake("bad_runtime_id")), "descriptor",
                 "descriptor runtime id 'Fake Runtime!' is invalid");
}

TEST(PluginValidate, ACapabilityWithoutItsFunction) {
    expect_fails(validate(fake("cap_without_function")), "functions",
                 "claims capability 'resize' but its session_resize function is NULL");
}

TEST(PluginValidate, ARequiredFunctionMissing) {
    expect_fails(validate(fake("missing_required")), "functions",
                 "required function session_open is NULL");
}

TEST(PluginValidate, ACreateThatFailsGivesThePluginsWords) {
    expect_fails(validate(fake("create_fails")), "create",
                 "create() failed (unavailable): fake runtime daemon is not running at "
                 "/run/fake.sock");
}

TEST(PluginValidate, ACreateThatThrowsIsAStatusNotACrash) {
    expect_fails(validate(fake("create_throws")), "create", "boom: cannot reach the fake daemon");
}

TEST(PluginValidate, ACreateThatCrashesIsReportedAsACrashThere) {
    expect_fails(validate(fake("create_crashes")), "create",
                 "crashed (signal 4, SIGILL) in create()");
}

TEST(PluginValidate, AnOptionsSchemaTheHostCannotUse) {
    expect_fails(validate(fake("bad_schema")), "options_schema",
                 "property 'rows' has type 'int', which is not one of string");
}

TEST(PluginValidate, AHealthCheckThatHangsFailsAfterTheBound) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = validate(fake("health_hangs"), {"--timeout-ms", "1000"});
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    expect_fails(r, "health", "health_check did not return within 1000 ms");
    EXPECT_NE(r.out.find("PASS  create"), std::string::npos) << r.out;
}

TEST(PluginValidate, AnHonestUnhealthyReportPassesWithItsState) {
    const auto r = validate(fake("unhealthy"));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("PASS  health          unhealthy: fake runtime daemon is not running"),
              std::string::npos)
        << r.out;
}

TEST(PluginValidate, OptionsAreCheckedAgainstTheSchema) {
    EXPECT_EQ(validate(fake("good"), {"--options", R"({"command":["sh"]})"}).status, 0);
    expect_fails(validate(fake("good"), {"--options", R"({"imgae":"x"})"}), "options",
                 "unknown option 'imgae' (accepted: command)");
}

TEST(PluginValidate, UsageErrorsExitTwo) {
    EXPECT_EQ(run_berth({"plugin", "validate"}).status, 2);
    EXPECT_EQ(validate(fake("good"), {"--options", "not json"}).status, 2);
    EXPECT_EQ(validate(fake("good"), {"--options", "[1]"}).status, 2);
    EXPECT_EQ(validate(fake("good"), {"--timeout-ms", "0"}).status, 2);
}

TEST(PluginValidate, JsonOutputListsEveryCheck) {
    const auto r = validate(fake("cap_without_function"), {"--format", "json"});
    EXPECT_EQ(r.status, 1) << r.err;
    const auto j = json::parse(r.out);
    EXPECT_EQ(j["valid"], false);
    ASSERT_EQ(j["checks"].size(), 10U) << r.out;
    EXPECT_EQ(j["checks"][4]["check"], "descriptor");
    EXPECT_EQ(j["checks"][4]["result"], "pass");
    EXPECT_EQ(j["checks"][5]["check"], "functions");
    EXPECT_EQ(j["checks"][5]["result"], "fail");
    EXPECT_EQ(j["checks"][9]["result"], "skip");

    const auto good = json::parse(validate(fake("good"), {"--format", "json"}).out);
    EXPECT_EQ(good["valid"], true);
    EXPECT_EQ(good["checks"][8]["check"], "health");
    EXPECT_EQ(good["checks"][8]["health_state"], "healthy");
}

}  // namespace
}  // namespace berth::test
