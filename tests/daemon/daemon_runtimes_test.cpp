// The berthd flow of issue 6 through each real runtime plugin: open a shell in a container,
// send, wait for the output, read it, see it in the metrics, close it.
#include <gtest/gtest.h>

#include <thread>

#include "daemon_fixture.hpp"
#include "test_support.hpp"

namespace berth::test {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;

struct runtime_case {
    const char* runtime;
    const char* binary;  // what must be installed
    json options;
};

std::vector<runtime_case> cases() {
    return {
        {"podman", "podman", {{"image", test_image()}, {"command", {"sh"}}}},
        {"containerd",
         "ctr",
         {{"image", test_image()},
          {"command", {"sh"}},
          {"address", containerd_address()},
          {"namespace", containerd_namespace()}}},
        {"lxc", "lxc-attach", {{"template", lxc_template()}, {"command", {"sh"}}}},
    };
}

class BerthdRuntime : public ::testing::TestWithParam<runtime_case> {};

TEST_P(BerthdRuntime, OpenSendWaitReadMetricsClose) {
    const auto& c = GetParam();
    BERTH_REQUIRE_RUNTIME(c.binary);
    daemon_process d;
    auto client = d.client();
    auto opened =
        client.call("session.open", {{"runtime", c.runtime}, {"options", c.options}}, 120s);
    ASSERT_TRUE(opened) << opened.err().message << "\nberthd log:\n" << d.log();
    const std::string id = opened.value()["id"];
    ASSERT_TRUE(client.call("session.write", {{"id", id}, {"data", "echo rea\"\"dy-$((6*7))\n"}}));
    auto w = client.call("session.wait",
                         {{"id", id}, {"pattern", "ready-42"}, {"timeout_ms", 30000}}, 60s);
    ASSERT_TRUE(w) << w.err().message;
    EXPECT_EQ(w.value()["outcome"], "matched") << w.value().dump();
    auto r = client.call("session.read", {{"id", id}});
    EXPECT_NE(r.value()["data"].get<std::string>().find("ready-42"), std::string::npos)
        << r.value().dump();
    const auto metrics =
        client.call("metrics.get", json::object()).value()["text"].get<std::string>();
    EXPECT_NE(metrics.find("berth_sessions_active{plugin=\"berth-" + std::string(c.runtime) +
                           "\",runtime=\"" + c.runtime + "\"} 1"),
              std::string::npos)
        << metrics;
    auto closed = client.call("session.close", {{"id", id}, {"grace_ms", 2000}}, 120s);
    ASSERT_TRUE(closed) << closed.err().message;
    EXPECT_EQ(closed.value()["state"], "closed");
    EXPECT_EQ(d.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, BerthdRuntime, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.runtime); });

}  // namespace
}  // namespace berth::test
