// ABI 1.1 ownership: the host hands its owner token to plugins and asks each, once and before
// any session, to remove what an earlier life of the host left. Older (1.0) plugins still load
// and are simply not asked.
#include <gtest/gtest.h>
#include <berth/host/host.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "fake_plugin_path.hpp"

namespace berth::host {
namespace {
namespace fs = std::filesystem;

host_options options_for(const std::string& variant, const std::string& owner) {
    host_options o;
    o.plugin_dirs = std::vector<fs::path>{fake(variant).parent_path()};
    o.owner = owner;
    return o;
}

TEST(Reclaim, OwnerTokenReachesThePluginAndItsCountComesBack) {
    host h(options_for("reclaims", "reclaim-two"));
    ASSERT_EQ(h.plugins().size(), 1U);
    const auto reports = h.reclaim_owned();
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].runtime, "fake");
    EXPECT_EQ(reports[0].removed, 2U);
    EXPECT_EQ(reports[0].error, "");
}

TEST(Reclaim, AFailureKeepsThePartialCountAndThePluginsWords) {
    host h(options_for("reclaims", "reclaim-fails"));
    const auto reports = h.reclaim_owned();
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_EQ(reports[0].removed, 1U);
    EXPECT_EQ(reports[0].error, "could not remove container fake-2: device busy");
}

TEST(Reclaim, RunsAtMostOncePerInstance) {
    host h(options_for("reclaims", "reclaim-two"));
    EXPECT_EQ(h.reclaim_owned().size(), 1U);
    EXPECT_TRUE(h.reclaim_owned().empty());
}

TEST(Reclaim, NeverRunsOnceASessionWasOpenedThroughThePlugin) {
    host h(options_for("reclaims", "reclaim-two"));
    // The fake refuses to run sessions, but the host had already let the open through.
    EXPECT_FALSE(h.open_session("fake", R"({"command":["true"]})"));
    EXPECT_TRUE(h.reclaim_owned().empty());
}

TEST(Reclaim, WithoutAnOwnerNothingIsAsked) {
    host h(options_for("reclaims", ""));
    EXPECT_TRUE(h.reclaim_owned().empty());
}

TEST(Reclaim, AnAbi10PluginLoadsAndItsTableIsReadOnlyUpToItsSize) {
    host h(options_for("abi_1_0", "reclaim-two"));
    ASSERT_EQ(h.plugins().size(), 1U) << h.reports().front().reason;
    EXPECT_EQ(h.plugins().front()->info().abi_minor, 0U);
    // The 1.0 table's struct_size ends before reclaim_owned; the fake put a function there
    // that fails loudly, so reading past the size would show up as a report.
    EXPECT_TRUE(h.reclaim_owned().empty());
}

TEST(Reclaim, AnInvalidOwnerTokenIsRefusedByName) {
    try {
        host h(options_for("reclaims", "Not Valid!"));
        FAIL() << "an invalid owner token was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()),
                  "host owner token 'Not Valid!' is invalid: expected 1 to 32 of [a-z0-9-]");
    }
}

}  // namespace
}  // namespace berth::host
