// Each defect a plugin file can have, and the exact reason the host gives for it.
#include <elf.h>
#include <gtest/gtest.h>
#include <berth/host/host.hpp>
#include <berth/host/plugin_library.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fake_plugin_path.hpp"

namespace berth::host {
namespace {
namespace fs = std::filesystem;

std::string load_reason(const fs::path& path) {
    auto lib = load_plugin_library(path);
    if (lib) return "loaded";
    return lib.err().message;
}

// The reason a host gives when it scans a folder holding just this file.
std::string host_reason(const fs::path& dir) {
    host h(host_options{.plugin_dirs = std::vector<fs::path>{dir}});
    if (h.reports().size() != 1)
        return "expected one report, got " + std::to_string(h.reports().size());
    return h.reports().front().reason;
}

TEST(PluginLoader, LoadsAGoodCPlugin) {
    auto lib = load_plugin_library(fake("good"));
    ASSERT_TRUE(lib) << lib.err().message;
    EXPECT_EQ(lib.value()->info().runtime, "fake");
    EXPECT_EQ(lib.value()->info().name, "berth-fake");
    EXPECT_EQ(lib.value()->info().abi_major, BERTH_ABI_VERSION_MAJOR);
    EXPECT_EQ(capability_names(lib.value()->info().capabilities), "pipes,signal");
}

// What a load_observer hears, as "started:file", "passed:file", ...
struct recording_observer final : load_observer {
    std::vector<std::string> heard;
    void started(load_check c) override { heard.push_back("started:" + std::string(to_string(c))); }
    void passed(load_check c, const std::string& /*found*/) override {
        heard.push_back("passed:" + std::string(to_string(c)));
    }
};

TEST(PluginLoader, AnObserverHearsEveryCheckInOrder) {
    recording_observer o;
    ASSERT_TRUE(load_plugin_library(fake("good"), false, &o));
    const std::vector<std::string> all = {
        "started:file",       "passed:file",       "started:load",      "passed:load",
        "started:entry",      "passed:entry",      "started:abi",       "passed:abi",
        "started:descriptor", "passed:descriptor", "started:functions", "passed:functions"};
    EXPECT_EQ(o.heard, all);
}

TEST(PluginLoader, TheFailedCheckIsTheLastStarted) {
    recording_observer o;
    EXPECT_FALSE(load_plugin_library(fake("cap_without_function"), false, &o));
    ASSERT_FALSE(o.heard.empty());
    EXPECT_EQ(o.heard.back(), "started:functions");
    EXPECT_EQ(o.heard[o.heard.size() - 2], "passed:descriptor");
}

TEST(PluginLoader, RejectsAFileThatIsNotElf) {
    EXPECT_EQ(load_reason(fs::path(BERTH_FAKE_PLUGIN_ROOT) / "not_elf" / "not_elf.so"),
              "not an ELF file");
}

TEST(PluginLoader, RejectsAPluginBuiltForAnotherArchitecture) {
    // A real plugin with its ELF machine field rewritten to aarch64.
    const fs::path dir = fs::temp_directory_path() / ("berth-arch-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path copy = dir / "arm.so";
    fs::copy_file(BERTH_LOCAL_PLUGIN, copy, fs::copy_options::overwrite_existing);
    {
        std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(18);  // e_machine
        const char aarch64[2] = {static_cast<char>(EM_AARCH64 & 0xff), 0};
        f.write(aarch64, 2);
    }
    EXPECT_EQ(load_reason(copy), "built for 64-bit aarch64, but this host is 64-bit x86-64");
    fs::remove_all(dir);
}

TEST(PluginLoader, RejectsALibraryWithoutTheEntrySymbol) {
    EXPECT_EQ(load_reason(fake("no_entry")),
              "no berth_plugin_entry_v1 symbol: not a berth plugin, or built for another ABI "
              "major version");
}

TEST(PluginLoader, RejectsAnEntryThatReturnsNoDescriptor) {
    EXPECT_EQ(load_reason(fake("no_descriptor")), "berth_plugin_entry_v1 returned no descriptor");
}

// The fakes are built with the host's minor (+5 for newer_minor), so these follow minor bumps.
const std::string k_host_abi = "1." + std::to_string(BERTH_ABI_VERSION_MINOR);

TEST(PluginLoader, RejectsMajorAbiMismatch) {
    EXPECT_EQ(load_reason(fake("major_mismatch")), "ABI major version mismatch: plugin ABI 2." +
                                                       std::to_string(BERTH_ABI_VERSION_MINOR) +
                                                       ", host ABI " + k_host_abi);
}

TEST(PluginLoader, RejectsNewerMinorAbi) {
    EXPECT_EQ(load_reason(fake("newer_minor")), "plugin ABI 1." +
                                                    std::to_string(BERTH_ABI_VERSION_MINOR + 5) +
                                                    " is newer than host ABI " + k_host_abi +
                                                    ": upgrade berth or use an older plugin build");
}

TEST(PluginLoader, RejectsDescriptorSmallerThanAbiMinimum) {
    EXPECT_EQ(load_reason(fake("descriptor_too_small")),
              "descriptor struct_size 40 is smaller than the ABI 1.0 minimum of 56 bytes");
}

TEST(PluginLoader, RejectsCapabilityWithoutItsFunction) {
    EXPECT_EQ(load_reason(fake("cap_without_function")),
              "claims capability 'resize' but its session_resize function is NULL");
}

TEST(PluginLoader, RejectsMissingRequiredFunction) {
    EXPECT_EQ(load_reason(fake("missing_required")), "required function session_open is NULL");
}

TEST(PluginLoader, RejectsInvalidRuntimeId) {
    EXPECT_EQ(load_reason(fake("bad_runtime_id")),
              "descriptor runtime id 'Fake Runtime!' is invalid: expected lowercase letters, "
              "digits, '-' or '_'");
}

TEST(PluginLoader, ReportsCreateFailureWithThePluginsWords) {
    EXPECT_EQ(host_reason(fake("create_fails").parent_path()),
              "create() failed (unavailable): fake runtime daemon is not running at "
              "/run/fake.sock");
}

TEST(PluginLoader, TurnsAnExceptionFromCreateIntoAReason) {
    EXPECT_EQ(host_reason(fake("create_throws").parent_path()),
              "create() failed (internal error): internal error in plugin: boom: cannot reach "
              "the fake daemon");
}

TEST(PluginLoader, HostGoesOnPastEveryBadFile) {
    std::vector<fs::path> dirs;
    for (const char* v :
         {"not_elf", "no_entry", "major_mismatch", "newer_minor", "descriptor_too_small",
          "cap_without_function", "create_fails", "create_throws", "good"})
        dirs.push_back(fs::path(BERTH_FAKE_PLUGIN_ROOT) / v);
    host h(host_options{.plugin_dirs = dirs});
    ASSERT_EQ(h.reports().size(), dirs.size());
    ASSERT_EQ(h.plugins().size(), 1U);
    EXPECT_EQ(h.plugins().front()->runtime(), "fake");
    for (const auto& r : h.reports()) {
        if (r.path.parent_path().filename() == "good") continue;
        EXPECT_EQ(r.state, plugin_report::status::rejected) << r.path;
        EXPECT_FALSE(r.reason.empty()) << r.path;
    }
}

TEST(PluginLoader, FirstPluginOfARuntimeWinsAndTheOtherIsReportedShadowed) {
    const fs::path first = fake("good");
    const fs::path second = fake("good_twin");
    host h(host_options{.plugin_dirs =
                            std::vector<fs::path>{first.parent_path(), second.parent_path()}});
    ASSERT_EQ(h.plugins().size(), 1U);
    EXPECT_EQ(h.plugins().front()->path(), first);
    ASSERT_EQ(h.reports().size(), 2U);
    EXPECT_EQ(h.reports()[1].state, plugin_report::status::shadowed);
    EXPECT_EQ(h.reports()[1].reason, "runtime 'fake' is already provided by " + first.string());
}

TEST(PluginLoader, FakePluginReportsHealthThroughTheSink) {
    host h(host_options{.plugin_dirs = std::vector<fs::path>{fake("good").parent_path()}});
    ASSERT_EQ(h.plugins().size(), 1U);
    const auto r = h.plugins().front()->check_health(std::chrono::seconds(5));
    EXPECT_EQ(r.state, registry::health_state::healthy);
    EXPECT_EQ(r.detail, "fake is always fine");
    ASSERT_EQ(r.attributes.size(), 1U);
    EXPECT_EQ(r.attributes[0].first, "version");
    const auto m = h.registry().metrics().get("berth-fake");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->checks_total, 1U);
    EXPECT_EQ(m->state, registry::health_state::healthy);
}

TEST(PluginLoader, OpenFailureIsRecordedAsAFailedSession) {
    host h(host_options{.plugin_dirs = std::vector<fs::path>{fake("good").parent_path()}});
    auto s = h.open_session("fake", R"({"command":["true"]})");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, BERTH_ERR_UNSUPPORTED);
    EXPECT_EQ(s.err().message, "the fake plugin does not run sessions");
    const auto sessions = h.session_records();
    ASSERT_EQ(sessions.size(), 1U);
    EXPECT_EQ(sessions[0].state, registry::session_state::failed);
    EXPECT_EQ(h.registry().metrics().get("berth-fake")->sessions_failed, 1U);
}

}  // namespace
}  // namespace berth::host
