// The berthd flow of issue 6 through each real runtime plugin: open a shell in a container,
// send, wait for the output, read it, see it in the metrics, close it. And what happens to the
// containers of a berthd that was killed: the next one on the same state dir removes them.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon_fixture.hpp"
#include "lxd_api.hpp"
#include "test_support.hpp"

namespace berth::test {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;

struct runtime_case {
    const char* runtime;
    std::string binary;  // what must be installed
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
        // An instance launched for the session on the test cluster (berthd reclaims through
        // BERTH_LXD_REMOTE, which daemon_process points at the same socket).
        {"lxd",
         lxd_socket(),
         {{"remote", "unix:" + lxd_socket()},
          {"image", lxd_image()},
          {"config", {{"security.privileged", "true"}}},
          {"command", {"sh"}}}},
    };
}

void PrintTo(const runtime_case& c, std::ostream* os) { *os << c.runtime; }

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
    EXPECT_NE(joined_output(r.value()).find("ready-42"), std::string::npos) << r.value().dump();
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

// The containers the runtime holds marked with berthd's owner token, asked the runtime's own
// way (so the test also checks the plugins mark what they create).
std::vector<std::string> owned_containers(const std::string& runtime, const std::string& owner) {
    std::vector<std::string> names;
    if (runtime == "lxd") {
        plugins::lxd::endpoint e;
        e.socket = lxd_socket();
        return plugins::lxd::lxd_api(e, "default", 30s).owned_by(owner);
    }
    if (runtime == "lxc") {
        const auto lxcpath = run_argv({"lxc-config", "lxc.lxcpath"});
        std::string path = lxcpath.out.substr(0, lxcpath.out.find('\n'));
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
            std::ifstream marker(e.path() / "berth-owner");
            std::string marked;
            if (std::getline(marker, marked) && marked == owner)
                names.push_back(e.path().filename().string());
        }
        return names;
    }
    const auto listed =
        runtime == "podman"
            ? run_argv({"podman", "ps", "--all", "--filter", "label=berth.owner=" + owner,
                        "--format", "{{.Names}}"})
            : run_argv({"ctr", "-a", containerd_address(), "-n", containerd_namespace(),
                        "containers", "ls", "-q", "labels.\"berth.owner\"==" + owner});
    EXPECT_EQ(listed.status, 0) << listed.err;
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) names.push_back(line);
    return names;
}

// Opens `sleep 600` (it ignores its stdin closing) in a new container and waits until the
// runtime shows the container marked with d's owner token; returns the session id and pid.
std::pair<std::string, std::int64_t> open_sleeper(const daemon_process& d, const runtime_case& c,
                                                  std::string& owner) {
    json options = c.options;
    options["command"] = {"sleep", "600"};
    auto opened =
        d.client().call("session.open", {{"runtime", c.runtime}, {"options", options}}, 120s);
    if (!opened) {
        ADD_FAILURE() << opened.err().message << "\nberthd log:\n" << d.log();
        return {};
    }
    const std::string id = opened.value()["id"];
    const auto pid = d.call("session.get", {{"id", id}})["pid"].get<std::int64_t>();
    std::ifstream(d.dir() / "state" / "owner") >> owner;
    // session.open returns once the runtime's CLI runs; podman creates the container a little
    // later.
    for (int i = 0; i < 300 && owned_containers(c.runtime, owner).empty(); ++i)
        std::this_thread::sleep_for(100ms);
    EXPECT_EQ(owned_containers(c.runtime, owner).size(), 1U)
        << "the session's container is not marked with berthd's owner " << owner;
    return {id, pid};
}

// The runtime's client process of a session ends within 30 s; killed (and a failure) if not.
void expect_ends(std::int64_t pid, const char* what) {
    for (int i = 0; i < 300 && pid > 0 && process_alive(pid); ++i)
        std::this_thread::sleep_for(100ms);
    if (pid > 0 && process_alive(pid)) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        ADD_FAILURE() << what << " (pid " << pid << ") is still running";
    }
}

TEST_P(BerthdRuntime, SigtermRemovesTheContainersOfOpenSessions) {
    const auto& c = GetParam();
    BERTH_REQUIRE_RUNTIME(c.binary);
    daemon_process d(R"({"close_grace_ms": 1000})");  // busybox sleep as PID 1 ignores SIGTERM
    std::string owner;
    const auto [id, pid] = open_sleeper(d, c, owner);
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(d.stop(), 0) << d.log();
    EXPECT_TRUE(owned_containers(c.runtime, owner).empty()) << d.log();
    expect_ends(pid, "the session's runtime client");
}

TEST_P(BerthdRuntime, ContainersOfAKilledDaemonAreRemovedByTheNextOne) {
    const auto& c = GetParam();
    BERTH_REQUIRE_RUNTIME(c.binary);
    daemon_process d;
    std::string owner;
    const auto [id, pid] = open_sleeper(d, c, owner);
    ASSERT_FALSE(id.empty());

    d.kill_hard();
    // A crash closes nothing: the container outlives the daemon.
    ASSERT_EQ(owned_containers(c.runtime, owner).size(), 1U);

    d.start();  // same state dir, same owner: reclaims before it answers
    EXPECT_TRUE(owned_containers(c.runtime, owner).empty()) << d.log();
    EXPECT_NE(d.log().find("removed 1 container(s) left by an earlier berthd"), std::string::npos)
        << d.log();
    EXPECT_EQ(d.call("session.get", {{"id", id}})["state"], "lost");
    // The dead daemon's runtime client (podman run, ctr task exec, lxc-attach) ends with its
    // container.
    expect_ends(pid, "the killed daemon's runtime client");
    EXPECT_EQ(d.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, BerthdRuntime, ::testing::ValuesIn(cases()),
                         [](const auto& p) { return std::string(p.param.runtime); });

}  // namespace
}  // namespace berth::test
