// The lxd plugin against the real two-member LXD cluster of scripts/setup-lxd.sh: a session
// placed on member 2 through member 1 over HTTPS, with typing, reading, a resize, a signal and
// the exit status; launched instances deleted at the end; options at fault named.
#include <csignal>
#include <nlohmann/json.hpp>

#include "lxd_api.hpp"
#include "runtime_test.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using plugins::lxd::endpoint;
using plugins::lxd::lxd_api;

class LxdCluster : public runtime_test {
protected:
    LxdCluster() : runtime_test("lxd", lxd_socket()) {}

    // HTTPS to member 1 with the test client certificate and the cluster's pinned.
    static json https_member1() {
        return {{"remote", "https://" + env_or("BERTH_LXD_NODE1_ADDRESS", "127.0.0.1:8443")},
                {"client_cert", lxd_client_cert()},
                {"client_key", lxd_client_key()},
                {"server_cert", lxd_server_cert()}};
    }
    // Launch mode, the instance marked with this test's `marker` (other tests' instances may
    // exist at the same time).
    json launch(json options) const {
        options["image"] = lxd_image();
        options["config"] = {{"security.privileged", "true"}, {"user.test.marker", marker_}};
        return options;
    }
    const std::string marker_ = random_hex(16);
    // The instance as member 1's socket describes it; null once it is gone.
    static json instance(const std::string& name) {
        endpoint e;
        e.socket = lxd_socket();
        const auto r = plugins::lxd::request(e, boost::beast::http::verb::get,
                                             "/1.0/instances/" + name, nullptr, 10s);
        return r.status == 200 ? plugins::lxd::field(r.body, "metadata") : json();
    }
};

TEST_F(LxdCluster, ASessionOnMember2ThroughMember1TypesReadsResizesAndIsSignalled) {
    json options = launch(https_member1());
    options["target"] = "node2";
    options["tty"] = true;
    options["rows"] = 24;
    options["cols"] = 80;
    options["command"] = {"sh"};
    auto s = open(options);
    ASSERT_TRUE(s);
    const std::string name = s->entry()->snapshot().target;
    ASSERT_TRUE(name.starts_with("berth-")) << name;
    EXPECT_EQ(plugins::lxd::field(instance(name), "location"), "node2");

    ASSERT_TRUE(s->write("echo typed-$((6*7)); stty size\n"));
    EXPECT_TRUE(wait_for(s, "typed-42\\s+24 80")) << finish(s, 0s).out;
    ASSERT_TRUE(s->resize(30, 100));
    ASSERT_TRUE(s->write("stty size\n"));
    EXPECT_TRUE(wait_for(s, "30 100"));
    // A shell that is not interactive: one blocked in its line editor runs a trap only after the
    // next line.
    ASSERT_TRUE(s->write(
        "exec sh -c 'trap \"echo got-usr1; exit 9\" USR1; echo armed; while :; do sleep 0.1; "
        "done'\n"));
    ASSERT_TRUE(wait_for(s, "\narmed"));
    ASSERT_TRUE(s->signal(SIGUSR1));
    const auto end = finish(s);
    EXPECT_EQ(end.record.exit_code, 9) << end.record.reason;
    EXPECT_NE(end.out.find("got-usr1"), std::string::npos) << end.out;
    // Launched for the session, so gone with it.
    EXPECT_TRUE(instance(name).is_null()) << name << " is still there";
}

TEST_F(LxdCluster, AKilledCommandReadsAsTheSignalBerthSentAndOtherwiseSaysItMayBeEither) {
    json options = launch(json{{"remote", "unix:" + lxd_socket()}});
    options["command"] = {"sh", "-c", "echo up; exec sleep 600"};
    auto killed = open(options);
    ASSERT_TRUE(killed);
    ASSERT_TRUE(wait_for(killed, "up"));
    ASSERT_TRUE(killed->signal(SIGTERM));
    const auto by_berth = finish(killed);
    EXPECT_EQ(by_berth.record.term_signal, SIGTERM) << by_berth.record.reason;

    options["command"] = {"sh", "-c", "exit 143"};
    const auto exited = run(options);
    EXPECT_EQ(exited.record.exit_code, 143);
    EXPECT_EQ(exited.record.term_signal, 0);
    EXPECT_NE(exited.record.reason.find("may be either"), std::string::npos)
        << exited.record.reason;
}

TEST_F(LxdCluster, OptionsAtFaultAreNamedAndNothingIsLeft) {
    json unknown_member = launch(https_member1());
    unknown_member["target"] = "node9";
    unknown_member["command"] = {"true"};
    EXPECT_NE(open_error(unknown_member).message.find("'target'"), std::string::npos);

    json no_image = launch(json{{"remote", "unix:" + lxd_socket()}});
    no_image["image"] = "no-such-image";
    no_image["command"] = {"true"};
    EXPECT_NE(open_error(no_image).message.find("'image'"), std::string::npos);

    json no_instance = {{"remote", "unix:" + lxd_socket()},
                        {"instance", "no-such-instance"},
                        {"command", {"true"}}};
    EXPECT_NE(open_error(no_instance).message.find("'instance'"), std::string::npos);

    json wrong_pin = launch(https_member1());
    wrong_pin["server_cert"] = lxd_client_cert();  // not the server's
    wrong_pin["command"] = {"true"};
    const auto pin = open_error(wrong_pin).message;
    EXPECT_NE(pin.find("server_cert"), std::string::npos) << pin;

    json unreachable = launch(https_member1());
    unreachable["remote"] = "https://127.0.0.1:1";
    unreachable["command"] = {"true"};
    const auto refused = open_error(unreachable).message;
    EXPECT_NE(refused.find("https://127.0.0.1:1"), std::string::npos) << refused;

    // Nothing launched by these opens is left on the cluster.
    endpoint e;
    e.socket = lxd_socket();
    const auto listed = plugins::lxd::request(e, boost::beast::http::verb::get,
                                              "/1.0/instances?recursion=1", nullptr, 10s);
    const auto& all = plugins::lxd::field(listed.body, "metadata");
    ASSERT_TRUE(all.is_array()) << listed.body.dump();
    for (const auto& i : all)
        EXPECT_NE(plugins::lxd::field(plugins::lxd::field(i, "config"), "user.test.marker"),
                  marker_)
            << plugins::lxd::field(i, "name") << " was left by a refused open";
}

TEST_F(LxdCluster, HealthNamesTheFlavorAndEveryMembersStatus) {
    const scoped_env remote("BERTH_LXD_REMOTE", "unix:" + lxd_socket());
    const auto health = host_->find("lxd")->check_health(15s);
    EXPECT_EQ(health.state, registry::health_state::healthy) << health.detail;
    const std::string server = lxd_flavor() == "incus" ? "Incus 6.0.4" : "LXD 5.0.2";
    for (const std::string& want : std::vector<std::string>{server, "node1 Online", "node2 Online"})
        EXPECT_NE(health.detail.find(want), std::string::npos) << health.detail;
    bool flavor = false;
    for (const auto& [k, v] : health.attributes)
        flavor = flavor || (k == "flavor" && v == lxd_flavor());
    EXPECT_TRUE(flavor);
}

}  // namespace
}  // namespace berth::test
