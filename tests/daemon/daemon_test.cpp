// berthd over a real socket with the local plugin: flows, cursors, long polls, limits,
// hostile requests, shutdown and restart.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <thread>

#include "daemon_fixture.hpp"
#include "raw_client.hpp"
#include "rpc_errors.hpp"
#include "test_support.hpp"

namespace berth::test {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace err = wire::rpc_error;

std::string open_local(const daemon_process& d, std::vector<std::string> command) {
    const auto r =
        d.call("session.open", {{"runtime", "local"}, {"options", {{"command", command}}}});
    return r.is_object() ? r.value("id", "") : "";
}

TEST(Berthd, OpenSendWaitReadCloseFlow) {
    daemon_process d;
    const auto id = open_local(d, {"sh"});
    ASSERT_FALSE(id.empty());
    d.call("session.write", {{"id", id}, {"data", "echo rea\"\"dy\n"}});
    const auto w = d.call("session.wait", {{"id", id}, {"pattern", "ready"}, {"timeout_ms", 5000}});
    EXPECT_EQ(w["outcome"], "matched");
    EXPECT_EQ(w["match"], "ready");
    const auto r = d.call("session.read", {{"id", id}});
    EXPECT_EQ(joined_output(r), "ready\n");
    EXPECT_EQ(r["next_cursor"], 6);
    EXPECT_EQ(r["chunks"][0]["stream"], "stdout");
    const auto closed = d.call("session.close", {{"id", id}, {"grace_ms", 2000}});
    EXPECT_EQ(closed["state"], "closed");
    const auto list = d.call("session.list");
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["state"], "closed");
    // The first health round runs in the background from start; wait for it.
    for (int i = 0;
         i < 100 && d.call("health.get", {{"runtime", "local"}})[0]["state"] != "healthy"; ++i)
        std::this_thread::sleep_for(100ms);
    const auto metrics = d.call("metrics.get")["text"].get<std::string>();
    EXPECT_NE(
        metrics.find("berth_sessions_opened_total{plugin=\"berth-local\",runtime=\"local\"} 1"),
        std::string::npos);
    EXPECT_NE(metrics.find("berth_plugin_health_state{plugin=\"berth-local\",runtime=\"local\","
                           "state=\"healthy\"} 1"),
              std::string::npos);
    EXPECT_EQ(metrics.find(id), std::string::npos) << "metrics must not be labelled by session";
}

TEST(Berthd, TwoClientsReadTheSameSessionWithTheirOwnCursors) {
    daemon_process d;
    const auto id = open_local(d, {"sh", "-c", "echo one; read x; echo two"});
    auto a = d.client();
    auto b = d.client();
    auto ra = a.call("session.read", {{"id", id}, {"wait_ms", 5000}});
    ASSERT_TRUE(ra);
    EXPECT_EQ(joined_output(ra.value()), "one\n");
    d.call("session.write", {{"id", id}, {"data", "go\n"}});
    auto rb = b.call("session.wait", {{"id", id}, {"pattern", "two"}, {"timeout_ms", 5000}});
    ASSERT_TRUE(rb);
    auto rb2 = b.call("session.read", {{"id", id}, {"cursor", 0}});
    EXPECT_EQ(joined_output(rb2.value()), "one\ntwo\n");  // b reads from its own cursor 0
    auto ra2 = a.call("session.read",
                      {{"id", id}, {"cursor", ra.value()["next_cursor"]}, {"wait_ms", 5000}});
    EXPECT_EQ(joined_output(ra2.value()), "two\n");  // a continues where it left off
}

TEST(Berthd, LongPollWakesOnNewOutputWithoutWaitingForItsTimeout) {
    daemon_process d;
    const auto id = open_local(d, {"sh", "-c", "read x; echo \"$x\"; sleep 30"});
    std::thread writer([&] {
        std::this_thread::sleep_for(300ms);
        d.call("session.write", {{"id", id}, {"data", "wake\n"}});
    });
    auto c = d.client();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.call("session.read", {{"id", id}, {"wait_ms", 20000}}, 30s);
    const auto took = std::chrono::steady_clock::now() - t0;
    writer.join();
    ASSERT_TRUE(r);
    EXPECT_EQ(joined_output(r.value()), "wake\n");
    EXPECT_LT(took, 10s) << "the long poll waited for its timeout instead of the output";
    // And it returns at its timeout when nothing comes.
    auto idle = c.call("session.read",
                       {{"id", id}, {"cursor", r.value()["next_cursor"]}, {"wait_ms", 200}});
    EXPECT_EQ(joined_output(idle.value()), "");
}

TEST(Berthd, TwoHundredConcurrentLocalSessions) {
    daemon_process d(R"({"max_sessions": 300, "max_sessions_per_runtime": {"local": 300}})");
    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i) {
        const auto id = open_local(d, {"sh", "-c", "read x; echo got-$x"});
        ASSERT_FALSE(id.empty()) << "session " << i;
        ids.push_back(id);
    }
    EXPECT_EQ(d.call("session.list").size(), 200U);
    for (std::size_t i = 0; i < ids.size(); ++i)
        d.call("session.write", {{"id", ids[i]}, {"data", std::to_string(i) + "\n"}});
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto w = d.call("session.wait",
                              {{"id", ids[i]}, {"pattern", "got-[0-9]+"}, {"timeout_ms", 20000}});
        EXPECT_EQ(w["match"], "got-" + std::to_string(i));
    }
}

TEST(Berthd, LimitsRefuseNewSessionsWithAClearError) {
    daemon_process d(R"({"max_sessions_per_runtime": {"local": 2}})");
    ASSERT_FALSE(open_local(d, {"sleep", "30"}).empty());
    ASSERT_FALSE(open_local(d, {"sleep", "30"}).empty());
    auto c = d.client();
    auto r = c.call("session.open", {{"runtime", "local"}, {"options", {{"command", {"true"}}}}});
    ASSERT_FALSE(r);
    EXPECT_EQ(c.last_rpc_code(), err::limit_reached);
    EXPECT_NE(r.err().message.find("max_sessions_per_runtime 2"), std::string::npos)
        << r.err().message;
}

TEST(Berthd, UnhealthyRuntimeIsRefusedAtOpen) {
    // The fake plugin reports healthy; an unknown runtime is refused by name instead.
    daemon_process d;
    auto c = d.client();
    auto r = c.call("session.open", {{"runtime", "nope"}, {"options", json::object()}});
    ASSERT_FALSE(r);
    EXPECT_EQ(c.last_rpc_code(), err::unknown_runtime);
}

// Every error names its berth_status in error.data.status: the plugin's own when a plugin
// failed (the scripted plugin words it its own way), berthd's for its own conditions. The CLI's
// client takes the status from there.
TEST(Berthd, ErrorsCarryTheirStatusInData) {
    daemon_process d("{}",
                     {{"BERTH_PLUGIN_PATH", std::string(BERTH_FAKE_PLUGIN_ROOT) + "/scripted"}});
    raw_client raw(d.socket());
    ASSERT_TRUE(raw.send(R"({"jsonrpc":"2.0","id":1,"method":"session.open","params":)"
                         R"({"runtime":"scripted","options":{"command":["no-such-program"]}}})"
                         "\n"));
    const auto line = raw.read_line(10s);
    ASSERT_TRUE(line);
    const auto reply = json::parse(*line);
    EXPECT_EQ(reply["error"]["code"], err::runtime_failure) << reply.dump();
    EXPECT_EQ(reply["error"]["data"]["status"], "COMMAND_NOT_FOUND") << reply.dump();
    EXPECT_EQ(reply["error"]["message"], "scripted: nothing answers to that name here");

    auto c = d.client();
    auto r = c.call("session.open",
                    {{"runtime", "scripted"}, {"options", {{"command", {"not-a-program"}}}}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, BERTH_ERR_COMMAND_NOT_EXECUTABLE);
    EXPECT_EQ(c.last_rpc_code(), err::runtime_failure);
    r = c.call("session.get", {{"id", "s-000000000000"}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, BERTH_ERR_NOT_FOUND);
    EXPECT_EQ(c.last_rpc_code(), err::unknown_session);
    r = c.call("session.read", {{"id", 5}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, BERTH_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(c.last_rpc_code(), err::invalid_params);
}

// session.get/list say what the plugin said a session runs in and whether it has a terminal,
// and so does the record that survives a restart.
TEST(Berthd, RecordsCarryThePluginsTargetAndTerminal) {
    daemon_process d("{}",
                     {{"BERTH_PLUGIN_PATH", std::string(BERTH_FAKE_PLUGIN_ROOT) + "/scripted"}});
    const auto opened = d.call("session.open", {{"runtime", "scripted"},
                                                {"options", {{"command", {"sh"}}, {"tty", true}}}});
    const auto id = opened.value("id", "");
    ASSERT_FALSE(id.empty()) << opened.dump();
    const auto r = d.call("session.get", {{"id", id}});
    EXPECT_EQ(r["target"], "scripted-box-1") << r.dump();
    EXPECT_EQ(r["tty"], true) << r.dump();
    EXPECT_EQ(d.call("session.list")[0]["tty"], true);
    EXPECT_EQ(d.stop(), 0);
    d.start();
    const auto after = d.call("session.get", {{"id", id}});
    EXPECT_EQ(after["target"], "scripted-box-1") << after.dump();
    EXPECT_EQ(after["tty"], true) << after.dump();
}

TEST(Berthd, SigtermClosesEverySessionAndLeavesNoProcess) {
    daemon_process d;
    std::vector<std::int64_t> pids;
    for (int i = 0; i < 5; ++i) {
        const auto r = d.call("session.open",
                              {{"runtime", "local"}, {"options", {{"command", {"sleep", "300"}}}}});
        pids.push_back(r["pid"].get<std::int64_t>());
    }
    EXPECT_EQ(d.stop(), 0);
    for (auto pid : pids) EXPECT_FALSE(process_alive(pid)) << "pid " << pid << " outlived berthd";
    EXPECT_FALSE(std::filesystem::exists(d.socket())) << "the socket file was left behind";
}

// Issue 10, item 10: sessions that had already ended came back as lost after a restart.
TEST(Berthd, RestartListsRunningSessionsAsLostAndEndedOnesAsTheyEnded) {
    daemon_process d;
    const auto exited_id = open_local(d, {"sh", "-c", "exit 3"});
    const auto r = d.call("session.open",
                          {{"runtime", "local"}, {"options", {{"command", {"sleep", "300"}}}}});
    const auto running_id = r["id"].get<std::string>();
    const auto pid = r["pid"].get<std::int64_t>();
    d.call("session.wait",
           {{"id", exited_id}, {"pattern", "x"}, {"timeout_ms", 2000}});  // let it end
    std::this_thread::sleep_for(1500ms);       // the state file is written once a second
    d.kill_hard();                             // a crash: no orderly close
    ::kill(static_cast<pid_t>(pid), SIGKILL);  // what the dead daemon left behind
    d.start();
    const auto list = d.call("session.list");
    ASSERT_EQ(list.size(), 2U) << list.dump();
    for (const auto& s : list) {
        if (s["id"] == running_id) {
            EXPECT_EQ(s["state"], "lost");
            EXPECT_NE(s["reason"].get<std::string>().find("last known state: running"),
                      std::string::npos)
                << s.dump();
        } else {
            EXPECT_EQ(s["state"], "exited") << s.dump();
            EXPECT_EQ(s["exit_code"], 3) << s.dump();
        }
    }
    auto c = d.client();
    auto w = c.call("session.write", {{"id", running_id}, {"data", "x"}});
    ASSERT_FALSE(w);
    EXPECT_EQ(c.last_rpc_code(), err::session_state);
}

// The status plugin.list reports for a runtime, or "" when it is not listed.
std::string plugin_status(const daemon_process& d, const std::string& runtime) {
    for (const auto& p : d.call("plugin.list"))
        if (p.value("runtime", "") == runtime) return p.value("status", "");
    return "";
}

// Polls (bounded) until plugin.list reports `status` for runtime after a SIGHUP.
bool sighup_until(const daemon_process& d, const std::string& runtime, const std::string& status) {
    ::kill(static_cast<pid_t>(d.pid()), SIGHUP);
    for (int i = 0; i < 100; ++i) {
        if (plugin_status(d, runtime) == status) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

TEST(Berthd, SighupPicksUpNewPluginsAndRetiresRemovedOnes) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("berthd-sighup-" + std::to_string(::getpid()) +
                                                  "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    daemon_process d("{}", {{"BERTH_PLUGIN_PATH", dir.string()}});
    EXPECT_EQ(plugin_status(d, "local2"), "");

    std::filesystem::copy_file(BERTH_LOCAL2_PLUGIN, dir / "local2.so");
    ASSERT_TRUE(sighup_until(d, "local2", "loaded")) << d.log();
    const auto r =
        d.call("session.open", {{"runtime", "local2"}, {"options", {{"command", {"cat"}}}}});
    const std::string id = r.value("id", "");
    ASSERT_FALSE(id.empty()) << r.dump();

    std::filesystem::remove(dir / "local2.so");
    ASSERT_TRUE(sighup_until(d, "local2", "removed")) << d.log();
    auto c = d.client();
    const auto refused =
        c.call("session.open", {{"runtime", "local2"}, {"options", {{"command", {"true"}}}}});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.err().message.find("unknown runtime 'local2'"), std::string::npos)
        << refused.err().message;
    // The open session goes on with the retired plugin.
    d.call("session.write", {{"id", id}, {"data", "after-sighup\n"}});
    const auto w =
        d.call("session.wait", {{"id", id}, {"pattern", "after-sighup"}, {"timeout_ms", 5000}});
    EXPECT_EQ(w.value("outcome", ""), "matched") << w.dump();
    d.call("session.close", {{"id", id}, {"grace_ms", 1000}});
    EXPECT_EQ(d.stop(), 0);
    std::filesystem::remove_all(dir);
}

// A plugin package's dpkg trigger signals every running berthd, and one may still be loading its
// plugins (here one hangs until the probe gives up, 10 s). SIGHUP's default action would end it:
// berthd notes the signal instead, and rescans once it serves, finding what the signal announced.
TEST(Berthd, ASighupWhileThePluginsAreStillLoadingIsNotFatalAndIsActedOnOnceServing) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("berthd-early-hup-" + std::to_string(::getpid()) +
                                                  "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(std::string(BERTH_FAKE_PLUGIN_ROOT) + "/hangs/fake_hangs.so",
                               dir / "fake_hangs.so");
    daemon_process d("{}", {{"BERTH_PLUGIN_PATH", dir.string()}}, [&dir](std::int64_t pid) {
        std::this_thread::sleep_for(500ms);  // berthd is in its first scan, probing fake_hangs
        std::filesystem::copy_file(BERTH_LOCAL2_PLUGIN, dir / "local2.so");
        ::kill(static_cast<pid_t>(pid), SIGHUP);
    });
    ASSERT_TRUE(process_alive(d.pid())) << d.log();
    bool loaded = false;
    for (int i = 0; i < 300 && !loaded; ++i) {  // up to 15 s: the rescan probes fake_hangs again
        loaded = plugin_status(d, "local2") == "loaded";
        if (!loaded) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(loaded) << d.log();
    EXPECT_EQ(d.stop(), 0);
    std::filesystem::remove_all(dir);
}

TEST(Berthd, APluginThatCrashesWhileLoadingIsRejectedAndBerthdServes) {
    daemon_process d("{}",
                     {{"BERTH_PLUGIN_PATH", std::string(BERTH_FAKE_PLUGIN_ROOT) + "/aborts"}});
    bool saw = false;
    for (const auto& p : d.call("plugin.list"))
        if (p.value("status", "") == "rejected" &&
            p.value("reason", "").rfind("crashed while loading (signal 6, SIGABRT)", 0) == 0)
            saw = true;
    EXPECT_TRUE(saw) << d.call("plugin.list").dump();
    EXPECT_EQ(plugin_status(d, "local"), "loaded");
    EXPECT_EQ(d.stop(), 0);
}

TEST(Berthd, ASecondDaemonOnTheSameStateDirIsRefused) {
    daemon_process d;
    const auto r =
        run_argv({(build_dir() / "bin" / "berthd").string(), "--socket",
                  (d.dir() / "second.sock").string(), "--state-dir", (d.dir() / "state").string()},
                 {}, 20s);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("is in use by another berthd"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(d.dir() / "second.sock"));
}

TEST(Berthd, EndedSessionsAreReapedAfterTheIdleTimeoutAndRunningOnesStay) {
    daemon_process d(R"({"idle_timeout_s": 1})");
    const auto ended = open_local(d, {"true"});
    const auto running = open_local(d, {"sleep", "600"});
    bool reaped = false;
    for (int i = 0; i < 100 && !reaped; ++i) {  // up to 10 s: 1 s idle plus the 1 s tick
        auto c = d.client();
        reaped =
            !c.call("session.get", {{"id", ended}}) && c.last_rpc_code() == err::unknown_session;
        if (!reaped) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(reaped) << "the ended session was never forgotten";
    EXPECT_EQ(d.call("session.get", {{"id", running}})["state"], "running");
    d.call("session.close", {{"id", running}, {"grace_ms", 1000}});
}

TEST(Berthd, TheHealthMonitorChecksAgainEveryInterval) {
    daemon_process d(R"({"health_interval_s": 1})");
    const auto checks = [&] {
        return d.call("health.get", {{"runtime", "local"}})[0].value("checks", std::uint64_t{0});
    };
    std::uint64_t first = 0;
    for (int i = 0; i < 100 && (first = checks()) == 0; ++i) std::this_thread::sleep_for(100ms);
    ASSERT_GT(first, 0U) << "the first round never ran";
    bool again = false;
    for (int i = 0; i < 100 && !again; ++i) {  // up to 10 s for a 1 s interval
        again = checks() >= first + 2;
        if (!again) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(again) << "still " << checks() << " checks, from " << first;
}

TEST(Berthd, RuntimesThatAreNotInstalledHaveNothingToReclaimAndSayNothing) {
    // No runtime CLI on PATH and no containerd socket: a machine that uses none of them.
    daemon_process d("{}", {{"PATH", "/nonexistent"}, {"CONTAINERD_ADDRESS", "/nonexistent.sock"}});
    EXPECT_TRUE(d.call("session.list").is_array());
    EXPECT_EQ(d.stop(), 0);
    EXPECT_EQ(d.log().find("could not remove everything"), std::string::npos) << d.log();
}

TEST(Berthd, AnUnknownLogLevelInTheEnvironmentIsNamedAndBerthdStillLogs) {
    daemon_process d("{}", {{"BERTH_LOG_LEVEL", "loud"}});
    const auto log = d.log();
    EXPECT_NE(log.find(" warning [berthd] BERTH_LOG_LEVEL='loud' is not a level"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find(" info "), std::string::npos) << "no info line after the warning:\n" << log;
}

TEST(Berthd, ConfigErrorsNameTheKey) {
    const auto r =
        run_argv({(build_dir() / "bin" / "berthd").string(), "--config", "/nonexistent.json"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("/nonexistent.json"), std::string::npos);
}

TEST(BerthSessionCli, OpenSendWaitReadMetricsClose) {
    daemon_process d;
    const std::map<std::string, std::string> env = {{"BERTH_SOCKET", d.socket().string()}};
    const auto opened = run_berth({"session", "open", "local", "--", "sh"}, {}, 30s, env);
    ASSERT_EQ(opened.status, 0) << opened.err;
    const std::string id = opened.out.substr(0, opened.out.find('\n'));
    EXPECT_EQ(run_berth({"session", "send", id, "echo ready"}, {}, 30s, env).status, 0);
    const auto waited =
        run_berth({"session", "wait", id, "ready", "--timeout", "2000"}, {}, 30s, env);
    EXPECT_EQ(waited.status, 0) << waited.err;
    EXPECT_EQ(waited.out, "ready\n");
    EXPECT_EQ(run_berth({"session", "read", id}, {}, 30s, env).out, "ready\n");
    const auto ls = run_berth({"session", "ls"}, {}, 30s, env);
    EXPECT_NE(ls.out.find(id), std::string::npos);
    EXPECT_NE(run_berth({"metrics"}, {}, 30s, env)
                  .out.find("berth_sessions_active{plugin=\"berth-local\",runtime=\"local\"} 1"),
              std::string::npos);
    EXPECT_EQ(run_berth({"session", "close", id}, {}, 30s, env).status, 0);
    const auto show = run_berth({"session", "show", id}, {}, 30s, env);
    EXPECT_NE(show.out.find("\"state\": \"closed\""), std::string::npos) << show.out;
    const auto timeout =
        run_berth({"session", "wait", id, "never-printed", "--timeout", "100"}, {}, 30s, env);
    EXPECT_EQ(timeout.status, 3);  // ended without a match
}

TEST(BerthSessionCli, SaysHowToStartTheDaemonWhenNoneAnswers) {
    const auto r =
        run_berth({"session", "ls"}, {}, 30s, {{"BERTH_SOCKET", "/tmp/berth-no-daemon-here.sock"}});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("start one with `berthd --socket /tmp/berth-no-daemon-here.sock &`"),
              std::string::npos)
        << r.err;
}

TEST(BerthSessionCli, KeysMapToBytes) {
    const auto r = run_berth({"session", "send", "x", "--key", "ctrl-q-nope"}, {}, 30s,
                             {{"BERTH_SOCKET", "/tmp/berth-no-daemon-here.sock"}});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("unknown key"), std::string::npos);
}

}  // namespace
}  // namespace berth::test
