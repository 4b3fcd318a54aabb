// Probing plugins in a child process (host_options::probe_plugins): a plugin that aborts or
// hangs while loading is rejected with that reason, and the host, and the good plugins, go on.
// Without the probe these fakes would kill or hang the test itself.
#include <gtest/gtest.h>
#include <berth/host/host.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "fake_plugin_path.hpp"

namespace berth::host {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

host probing_host(const std::string& bad_variant) {
    host_options o;
    // The bad file first: it is rejected, and the good one (same runtime id) still loads.
    o.plugin_dirs =
        std::vector<fs::path>{fake(bad_variant).parent_path(), fake("good").parent_path()};
    o.probe_plugins = true;
    o.probe_timeout = 2s;
    return host(std::move(o));
}

plugin_report report_for(const std::vector<plugin_report>& reports, const fs::path& file) {
    for (const auto& r : reports)
        if (r.path == file) return r;
    throw std::runtime_error("no report for " + file.string());
}

TEST(Probe, APluginThatAbortsWhileLoadingIsRejectedAndTheHostGoesOn) {
    const auto h = probing_host("aborts");
    const auto reports = h.reports();
    const auto bad = report_for(reports, fake("aborts"));
    EXPECT_EQ(bad.state, plugin_report::status::rejected);
    EXPECT_EQ(bad.reason,
              "crashed while loading (signal 6, SIGABRT) in a probe process; not loaded into "
              "this process");
    ASSERT_TRUE(h.find("fake"));
    EXPECT_EQ(h.find("fake")->path(), fake("good"));
}

TEST(Probe, APluginThatHangsWhileLoadingIsKilledAfterTheTimeout) {
    const auto started = std::chrono::steady_clock::now();
    const auto h = probing_host("hangs");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    const auto bad = report_for(h.reports(), fake("hangs"));
    EXPECT_EQ(bad.state, plugin_report::status::rejected);
    EXPECT_EQ(bad.reason,
              "hung while loading: the probe process was killed after 2000 ms; not loaded into "
              "this process");
    EXPECT_TRUE(h.find("fake"));
}

TEST(Probe, AProbedRejectionCarriesTheLoadersOwnReason) {
    const auto h = probing_host("major_mismatch");
    const auto bad = report_for(h.reports(), fake("major_mismatch"));
    EXPECT_EQ(bad.state, plugin_report::status::rejected);
    EXPECT_EQ(bad.reason.rfind("ABI major version mismatch: plugin ABI 2.", 0), 0U) << bad.reason;
}

TEST(Probe, ACreateFailureIsReportedThroughTheProbeInThePluginsWords) {
    const auto h = probing_host("create_fails");
    const auto bad = report_for(h.reports(), fake("create_fails"));
    EXPECT_EQ(bad.reason,
              "create() failed (unavailable): fake runtime daemon is not running at "
              "/run/fake.sock");
}

}  // namespace
}  // namespace berth::host
