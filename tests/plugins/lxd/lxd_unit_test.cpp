// The lxd plugin's pure parts, without a server: options and their messages, how LXD's exec
// return value becomes an exit record, and the health report for a server's answers.
#include <gtest/gtest.h>
#include <berth/sdk/plugin.hpp>

#include <csignal>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lxd_api.hpp"
#include "lxd_exit.hpp"
#include "lxd_health.hpp"
#include "lxd_options.hpp"
#include "test_support.hpp"

namespace berth::plugins::lxd {
namespace {

using json = nlohmann::json;

// Options read their defaults from BERTH_LXD_*, which scripts/runtime-env.sh sets for the test
// cluster: blank them (an empty value counts as unset) so only the options decide.
class LxdOptions : public ::testing::Test {
    test::scoped_env remote_{"BERTH_LXD_REMOTE", ""};
    test::scoped_env cert_{"BERTH_LXD_CLIENT_CERT", ""};
    test::scoped_env key_{"BERTH_LXD_CLIENT_KEY", ""};
    test::scoped_env server_{"BERTH_LXD_SERVER_CERT", ""};
    test::scoped_env project_{"BERTH_LXD_PROJECT", ""};
    test::scoped_env target_{"BERTH_LXD_TARGET", ""};
};

// The message parse_options throws for `options`, or "" when it accepts them.
std::string refusal(const json& options) {
    try {
        (void)parse_options(options.dump());
    } catch (const sdk::error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_INVALID_ARGUMENT) << e.what();
        return e.what();
    }
    return {};
}

TEST_F(LxdOptions, ExecAndLaunchModesAndTheirRules) {
    const json sock = {{"remote", "unix:/run/lxd.socket"}};
    auto exec = parse_options(json{{"remote", "/run/lxd.socket"}, {"instance", "c1"}}.dump());
    EXPECT_EQ(exec.mode, session_mode::exec);
    EXPECT_EQ(exec.remote.socket, "/run/lxd.socket");
    EXPECT_EQ(exec.project, "default");

    json launch = sock;
    launch["image"] = "busybox";
    launch["target"] = "node2";
    launch["config"] = {{"security.privileged", "true"}};
    const auto l = parse_options(launch.dump());
    EXPECT_EQ(l.mode, session_mode::launch);
    EXPECT_EQ(l.target, "node2");
    EXPECT_EQ(l.profiles, std::vector<std::string>{"default"});

    EXPECT_NE(refusal(sock).find("'instance'"), std::string::npos);
    EXPECT_NE(refusal(json{{"remote", "/s"}, {"instance", "a"}, {"image", "b"}})
                  .find("exclude each other"),
              std::string::npos);
    EXPECT_NE(refusal(json{{"remote", "/s"}, {"instance", "a"}, {"target", "node2"}})
                  .find("option 'target' applies to launch mode"),
              std::string::npos);
    EXPECT_NE(refusal(json{{"remote", "/s"}, {"instance", "-rf"}}).find("option 'instance'"),
              std::string::npos);
    launch["config"] = {{"user.berth.owner", "x"}};
    EXPECT_NE(refusal(launch).find("reserved"), std::string::npos);
    EXPECT_NE(refusal(json{{"remote", "/s"}, {"instance", "a"}, {"cwd", "tmp"}}).find("'cwd'"),
              std::string::npos);
}

TEST_F(LxdOptions, RemotesAndCertificatesAreNamedWhenWrong) {
    EXPECT_NE(refusal(json{{"remote", "http://h"}, {"instance", "a"}}).find("option 'remote'"),
              std::string::npos);
    EXPECT_NE(refusal(json{{"remote", "https://h:99999"}, {"instance", "a"}}).find("port"),
              std::string::npos);
    EXPECT_NE(refusal(json{{"remote", "https://127.0.0.1:8443"}, {"instance", "a"}})
                  .find("'client_cert' and 'client_key'"),
              std::string::npos);
    EXPECT_NE(refusal(json{{"remote", "https://127.0.0.1:8443"},
                           {"instance", "a"},
                           {"client_cert", "/no/such.crt"},
                           {"client_key", "/no/such.key"}})
                  .find("option 'client_cert': cannot read \"/no/such.crt\""),
              std::string::npos);
    EXPECT_NE(refusal(json{{"remote", "/s"}, {"instance", "a"}, {"client_cert", "/c"}})
                  .find("applies to an https remote only"),
              std::string::npos);
    const auto v6 = parse_options(json{
        {"remote", "https://[::1]:8444"},
        {"instance", "a"},
        {"client_cert", "/dev/null"},
        {"client_key", "/dev/null"}}.dump());
    EXPECT_EQ(v6.remote.host, "::1");
    EXPECT_EQ(v6.remote.port, "8444");
    EXPECT_EQ(v6.remote.describe(), "https://::1:8444");
}

TEST(LxdExit, ASignalOnlyWhenBerthSentItAndOtherwiseBothReadings) {
    const std::vector<int> sent{SIGKILL};
    const auto killed = classify_return(128 + SIGKILL, sent);
    EXPECT_EQ(killed.term_signal, SIGKILL);
    EXPECT_EQ(killed.exit_code, -1);

    const auto either = classify_return(128 + SIGTERM, sent);
    EXPECT_EQ(either.exit_code, 128 + SIGTERM);
    EXPECT_EQ(either.term_signal, 0);
    EXPECT_NE(either.reason.find("may be either"), std::string::npos) << either.reason;

    EXPECT_EQ(classify_return(0, {}).exit_code, 0);
    EXPECT_EQ(classify_return(7, sent).exit_code, 7);
    EXPECT_EQ(classify_return(255, sent).exit_code, 255);  // beyond any signal
    EXPECT_TRUE(classify_return(-1, {}).failed);
}

json server(const char* auth = "trusted") {
    return {{"auth", auth},
            {"api_extensions", {"container_exec_signal_handling", "container_exec_user_group_cwd"}},
            {"environment", {{"server", "lxd"}, {"server_version", "5.0.2"}}}};
}

json members(const char* node2_status) {
    return json::array({{{"server_name", "node1"}, {"status", "Online"}, {"message", "ok"}},
                        {{"server_name", "node2"}, {"status", node2_status}, {"message", "gone"}}});
}

TEST(LxdHealth, MembersTargetsTrustAndExtensions) {
    const auto ok = report_for("unix:/s", server(), members("Online"));
    EXPECT_EQ(ok.state, BERTH_HEALTH_HEALTHY);
    EXPECT_NE(ok.detail.find("LXD 5.0.2 at unix:/s; cluster: node1 Online, node2 Online"),
              std::string::npos)
        << ok.detail;

    const auto down = report_for("unix:/s", server(), members("Offline"));
    EXPECT_EQ(down.state, BERTH_HEALTH_HEALTHY);  // node1 still takes sessions
    EXPECT_NE(down.detail.find("node2 Offline (gone)"), std::string::npos) << down.detail;

    const auto target_down = report_for("unix:/s", server(), members("Offline"), "node2");
    EXPECT_EQ(target_down.state, BERTH_HEALTH_UNHEALTHY);
    EXPECT_NE(target_down.detail.find("member 'node2' (BERTH_LXD_TARGET)"), std::string::npos)
        << target_down.detail;
    EXPECT_EQ(report_for("unix:/s", server(), members("Online"), "node9").state,
              BERTH_HEALTH_UNHEALTHY);

    const auto untrusted = report_for("https://h:8443", server("untrusted"), json::array());
    EXPECT_EQ(untrusted.state, BERTH_HEALTH_UNHEALTHY);
    EXPECT_NE(untrusted.detail.find("trust add"), std::string::npos) << untrusted.detail;

    json old = server();
    old["api_extensions"] = json::array();
    const auto lacking = report_for("unix:/s", old, json::array());
    EXPECT_NE(lacking.detail.find("container_exec_signal_handling"), std::string::npos);
}

TEST(LxdApi, QueryValuesArePercentEncoded) {
    EXPECT_EQ(url_encode("a b/c&d=é"), "a%20b%2Fc%26d%3D%C3%A9");
    EXPECT_EQ(project_query("my proj"), "?project=my%20proj");
    EXPECT_TRUE(field(json(), "x").is_null());
    EXPECT_TRUE(field(json::array(), "x").is_null());
}

}  // namespace
}  // namespace berth::plugins::lxd
