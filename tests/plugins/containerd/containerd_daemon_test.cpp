// The daemon goes away mid-way: open sessions end with a reason, health turns unhealthy and
// names the socket; once the daemon is back, health is healthy again and what the sessions
// could not remove while it was away is removed.
//
// This stops the shared private containerd, so it runs alone (RUN_SERIAL, see CMakeLists.txt)
// and always starts the daemon again, whatever happens in between.
#include <gtest/gtest.h>

#include "containerd_test_env.hpp"

#ifndef BERTH_SCRIPTS_DIR
#error "BERTH_SCRIPTS_DIR must be defined by CMake"
#endif

namespace berth::test::containerd {
namespace {
using namespace std::chrono_literals;
using json = nlohmann::json;

cli_result script(const std::string& name, const std::vector<std::string>& args,
                  std::chrono::seconds timeout) {
    std::vector<std::string> argv{std::string(BERTH_SCRIPTS_DIR) + "/" + name};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_argv(argv, {}, timeout);
}

// Brings the private containerd back when the test is done with it, even on failure.
class daemon_restart_guard {
public:
    ~daemon_restart_guard() {
        const auto r = script("setup-runtimes.sh", {"--only", "containerd"}, 180s);
        EXPECT_EQ(r.status, 0) << "could not start containerd again: " << r.out << r.err;
    }
};

TEST(ContainerdDaemon, StoppedMidwaySessionsEndWithReasonAndHealthTurnsUnhealthy) {
    BERTH_REQUIRE_RUNTIME("ctr");
    const scoped_env address("CONTAINERD_ADDRESS", containerd_address());
    const scoped_env ns("CONTAINERD_NAMESPACE", containerd_namespace());
    const std::string tag = unique_name("berth-t-daemon");
    auto box = std::make_unique<scoped_container>("berth-t-daemon-box");
    auto h = make_host();
    auto plugin = h.find("containerd");
    ASSERT_TRUE(plugin);
    ASSERT_EQ(plugin->check_health(15s).state, registry::health_state::healthy);

    const json ticking{"sh", "-c", "echo ready; while :; do sleep 0.2; echo tick; done"};
    std::vector<std::shared_ptr<host::session>> sessions;
    for (const json& o :
         {json{{"image", test_image()}, {"name", tag + "-pipe"}, {"command", ticking}},
          json{
              {"image", test_image()}, {"name", tag + "-pty"}, {"tty", true}, {"command", ticking}},
          json{{"container", box->id()}, {"command", ticking}}}) {
        auto s = h.open_session("containerd", options(o));
        ASSERT_TRUE(s) << s.err().message;
        sessions.push_back(s.value());
    }
    for (const auto& s : sessions) ASSERT_TRUE(wait_for(*s, "ready"));

    {
        daemon_restart_guard restart;
        const auto stopped = script("stop-runtimes.sh", {}, 60s);
        ASSERT_EQ(stopped.status, 0) << stopped.out << stopped.err;

        for (const auto& s : sessions) {
            ASSERT_TRUE(s->entry()->wait_ended(20s)) << "a session outlived its daemon";
            const auto r = s->entry()->snapshot();
            EXPECT_EQ(r.state, registry::session_state::failed) << r.reason;
            EXPECT_NE(r.reason.find("lost the connection to containerd at " + containerd_address()),
                      std::string::npos)
                << r.reason;
            // What is left is named, with how to remove it by hand.
            EXPECT_NE(r.reason.find("task delete -f"), std::string::npos) << r.reason;
        }
        const auto health = plugin->check_health(15s);
        EXPECT_EQ(health.state, registry::health_state::unhealthy);
        EXPECT_NE(health.detail.find("containerd is not answering on " + containerd_address()),
                  std::string::npos)
            << health.detail;
    }  // containerd starts again here

    // Back: healthy, and the leftovers of the three sessions are removed by that check.
    const auto health = plugin->check_health(60s);
    EXPECT_EQ(health.state, registry::health_state::healthy) << health.detail;
    for (const auto& [k, v] : health.attributes) EXPECT_NE(k, "leftovers") << v;
    for (const auto& list : {containers(), tasks(), snapshots()})
        for (const auto& id : list) EXPECT_NE(id.rfind(tag, 0), 0U) << id << " was left behind";
    EXPECT_EQ(process_count(box->id()), 1);  // the exec session's process is gone
    box.reset();
}

}  // namespace
}  // namespace berth::test::containerd
