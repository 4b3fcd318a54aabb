// A cluster member goes away: with member 2's daemon killed, the health check reports it
// offline (and unhealthy while it is where sessions are placed, BERTH_LXD_TARGET), and a session
// targeted there fails naming option 'target' and why. The member is started again at the end,
// whatever happens in between.
//
// This stops a member of the shared test cluster, so it runs alone (RUN_SERIAL, see
// CMakeLists.txt).
#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <thread>

#include "runtime_test.hpp"

#ifndef BERTH_SCRIPTS_DIR
#error "BERTH_SCRIPTS_DIR must be defined by CMake"
#endif

namespace berth::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Starts the killed member again (setup-lxd.sh starts daemons that died and waits until every
// member is online), even when the test failed half-way.
class member_restart_guard {
public:
    ~member_restart_guard() {
        const auto r = run_argv(
            {std::string(BERTH_SCRIPTS_DIR) + "/setup-lxd.sh", "--no-smoke", "--" + lxd_flavor()},
            {}, 180s);
        EXPECT_EQ(r.status, 0) << "could not start member 2 again: " << r.out << r.err;
    }
};

class LxdMember : public runtime_test {
protected:
    LxdMember() : runtime_test("lxd", lxd_socket()) {}
};

TEST_F(LxdMember, WithMember2StoppedHealthSaysItIsOfflineAndATargetedOpenFailsWithWhy) {
    const scoped_env remote("BERTH_LXD_REMOTE", "unix:" + lxd_socket());
    const scoped_env target("BERTH_LXD_TARGET", "node2");
    auto plugin = host_->find("lxd");
    ASSERT_EQ(plugin->check_health(15s).state, registry::health_state::healthy);

    member_restart_guard restart;
    pid_t node2 = 0;
    std::ifstream(env_or("BERTH_LXD_NODE2_PIDFILE", "/run/berth/lxd/node2.pid")) >> node2;
    ASSERT_GT(node2, 1) << "no pid for member 2's daemon";
    ASSERT_EQ(::kill(node2, SIGKILL), 0);

    // The cluster calls a member offline once its heartbeats have stopped for a while (about
    // 20 s here): the next health check says so.
    registry::health_check_result health;
    for (int i = 0; i < 60; ++i) {
        health = plugin->check_health(15s);
        if (health.detail.find("node2 Offline") != std::string::npos) break;
        std::this_thread::sleep_for(1s);
    }
    EXPECT_NE(health.detail.find("node2 Offline"), std::string::npos) << health.detail;
    EXPECT_EQ(health.state, registry::health_state::unhealthy) << health.detail;
    EXPECT_NE(health.detail.find("member 'node2' (BERTH_LXD_TARGET)"), std::string::npos)
        << health.detail;

    const auto refused = open_error({{"image", lxd_image()},
                                     {"config", {{"security.privileged", "true"}}},
                                     {"command", {"true"}}});
    EXPECT_EQ(refused.code, BERTH_ERR_INVALID_ARGUMENT) << refused.message;
    EXPECT_NE(refused.message.find("option 'target'"), std::string::npos) << refused.message;
    EXPECT_NE(refused.message.find("member 'node2' is Offline"), std::string::npos)
        << refused.message;
}

}  // namespace
}  // namespace berth::test
