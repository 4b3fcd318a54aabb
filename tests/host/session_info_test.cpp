// What a session runs in and whether it has a terminal come from its plugin (ABI 1.2
// session_info), never from the host reading option names.
#include <gtest/gtest.h>
#include <berth/host/host.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace berth::host {
namespace {
using namespace std::chrono_literals;

host host_of(const std::string& dir) {
    return host(host_options{.plugin_dirs = std::vector<std::filesystem::path>{dir}});
}

registry::session_record opened(host& h, const std::string& runtime, const std::string& options) {
    auto s = h.open_session(runtime, options);
    EXPECT_TRUE(s) << s.err().message;
    if (!s) return {};
    auto record = s.value()->entry()->snapshot();
    EXPECT_TRUE(s.value()->close(1s));
    return record;
}

TEST(SessionInfo, TheTargetAndTheTerminalAreThePluginsWord) {
    auto h = host_of(BERTH_FAKE_PLUGIN_ROOT "/scripted");
    // "container" names something else on purpose: the host no longer guesses from it.
    auto r = opened(h, "scripted", R"({"command":["sh"],"container":"guess-me","tty":true})");
    EXPECT_EQ(r.target, "scripted-box-1");
    EXPECT_TRUE(r.tty);
    r = opened(h, "scripted", R"({"command":["sh"]})");
    EXPECT_EQ(r.target, "scripted-box-1");
    EXPECT_FALSE(r.tty);
}

// A plugin built for ABI 1.1 has no session_info slot: its table ends before it (the fake's
// slot past struct_size fails loudly if called). No target, and no terminal the host knows of.
TEST(SessionInfo, APluginWithoutTheSlotHasNoTargetAndNoKnownTerminal) {
    auto h = host_of(BERTH_FAKE_PLUGIN_ROOT "/scripted_abi_1_1");
    ASSERT_TRUE(h.find("scripted11"));
    EXPECT_EQ(h.find("scripted11")->info().abi_minor, 1);
    const auto r = opened(h, "scripted11", R"({"command":["sh"],"container":"c1","tty":true})");
    EXPECT_EQ(r.target, "");
    EXPECT_FALSE(r.tty);
}

TEST(SessionInfo, LocalSessionsRunInNothingAndSayWhetherTheyHaveATerminal) {
    auto h = host_of(test::plugin_dir().string());
    auto r = opened(h, "local", R"({"command":["cat"],"tty":true})");
    EXPECT_EQ(r.target, "");
    EXPECT_TRUE(r.tty);
    r = opened(h, "local", R"({"command":["cat"]})");
    EXPECT_FALSE(r.tty);
}

}  // namespace
}  // namespace berth::host
