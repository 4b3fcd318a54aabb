// Two plugins in one process, each with its own hidden copy of Boost.Asio/Process, running
// sessions at the same time: every child exit must reach the right session. A SIGCHLD-based
// reaper in either copy would steal the other's exits; pidfds cannot.
#include <gtest/gtest.h>
#include <berth/host/host.hpp>

#include <csignal>
#include <thread>

#include "test_support.hpp"

namespace berth::host {
namespace {
using namespace std::chrono_literals;

TEST(TwoPlugins, EverySessionExitIsSeenWhileBothRunAtOnce) {
    host h(host_options{.plugin_dirs = std::vector<std::filesystem::path>{test::plugin_dir(),
                                                                          BERTH_EXTRA_PLUGIN_DIR}});
    ASSERT_TRUE(h.find("local"));
    ASSERT_TRUE(h.find("local2"));

    constexpr int k_per_plugin = 25;
    std::vector<std::pair<int, std::shared_ptr<session>>> sessions;
    for (int i = 0; i < k_per_plugin; ++i) {
        for (const char* runtime : {"local", "local2"}) {
            const int code = (i * 7 + (runtime[5] == '2' ? 3 : 0)) % 120;
            // Staggered exits so both plugins reap while the other is busy.
            const std::string cmd =
                "sleep 0.0" + std::to_string(i % 10) + "; exit " + std::to_string(code);
            auto s = h.open_session(runtime, R"({"command":["sh","-c",")" + cmd + R"("]})");
            ASSERT_TRUE(s) << s.err().message;
            sessions.emplace_back(code, s.value());
        }
    }
    for (const auto& [code, s] : sessions) {
        ASSERT_TRUE(s->entry()->wait_ended(20s)) << s->id() << " never saw its exit";
        const auto r = s->entry()->snapshot();
        EXPECT_EQ(r.state, registry::session_state::exited) << r.runtime;
        EXPECT_EQ(r.exit_code, code) << r.runtime << " " << s->id();
    }
    struct sigaction sa {};
    ASSERT_EQ(::sigaction(SIGCHLD, nullptr, &sa), 0);
    EXPECT_EQ(sa.sa_handler, SIG_DFL) << "a plugin installed a SIGCHLD handler";
    EXPECT_EQ(h.registry().metrics().get("berth-local")->sessions_opened, k_per_plugin);
    EXPECT_EQ(h.registry().metrics().get("berth-local2")->sessions_opened, k_per_plugin);
}

}  // namespace
}  // namespace berth::host
