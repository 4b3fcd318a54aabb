// berthd against hostile and broken clients, through its real socket (issue 10). Each test
// reproduces one way a client used to kill, freeze or exhaust the daemon, and checks that it
// now costs that client its own answer and nothing else.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "daemon_fixture.hpp"
#include "raw_client.hpp"
#include "rpc_errors.hpp"

namespace berth::test {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace err = wire::rpc_error;

// ASan keeps freed memory in quarantine and both sanitizers add shadow memory, so berthd's
// RSS says nothing about its own bounds there (the figures are still printed), and every
// call is several times slower.
#ifdef BERTH_SANITIZED_BUILD
constexpr bool k_sanitized = true;
#else
constexpr bool k_sanitized = false;
#endif
constexpr double k_quick_ms = k_sanitized ? 5000 : 1000;

// Polls metrics.get (bounded) until berthd_waiting_calls is n.
bool waiting_calls_reach(const daemon_process& d, int n) {
    const std::string want = "berthd_waiting_calls " + std::to_string(n) + "\n";
    for (const auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms))
        if (d.call("metrics.get")["text"].get<std::string>().find(want) != std::string::npos)
            return true;
    return false;
}

std::string open_local(const daemon_process& d, const std::vector<std::string>& command) {
    return d.call("session.open", {{"runtime", "local"}, {"options", {{"command", command}}}})
        .value("id", "");
}

// The time of one session.list on a fresh connection.
std::chrono::duration<double, std::milli> time_list(const daemon_process& d) {
    const auto t0 = std::chrono::steady_clock::now();
    raw_client c(d.socket());
    c.send(request("session.list"));
    EXPECT_TRUE(reply(c, 30s).contains("result"));
    return std::chrono::steady_clock::now() - t0;
}

TEST(BerthdHostile, MalformedRequestsGetCleanErrorsAndHurtNothing) {
    daemon_process d;
    const auto id = open_local(d, {"sh"});
    raw_client raw(d.socket());
    const auto code_of = [&](const std::string& frame) {
        raw.send(frame);
        return error_code(reply(raw));
    };
    EXPECT_EQ(code_of("{this is not json\n"), err::parse_error);
    EXPECT_EQ(code_of(std::string(10 << 20, 'x') + "\n"), err::invalid_request);  // 10 MB frame
    EXPECT_EQ(code_of(request("no.such")), err::method_not_found);
    EXPECT_EQ(code_of(R"({"jsonrpc":"1.0","id":2,"method":"session.list"})"
                      "\n"),
              err::invalid_request);
    EXPECT_EQ(code_of(request("session.read", {{"id", 5}})), err::invalid_params);
    EXPECT_EQ(code_of(request("session.read", {{"id", id}, {"cursor", "x"}})), err::invalid_params);
    EXPECT_EQ(code_of(request("session.wait", {{"id", id}, {"pattern", "(unclosed"}})),
              err::invalid_params);
    EXPECT_EQ(code_of(request("session.get", {{"id", "s-000000000000"}})), err::unknown_session);
    EXPECT_EQ(
        code_of(request("session.open", {{"runtime", "local"},
                                         {"options", {{"command", {"true"}}, {"bogus", 1}}}})),
        err::invalid_params);
    // A pattern that backtracks catastrophically elsewhere is linear under RE2.
    d.call("session.write", {{"id", id}, {"data", "echo " + std::string(5000, 'a') + "\n"}});
    raw.send(request("session.wait", {{"id", id}, {"pattern", "(a+)+b"}, {"timeout_ms", 500}}));
    EXPECT_EQ(reply(raw)["result"]["outcome"], "timeout");
    // The same connection and the session still work.
    raw.send(request("session.get", {{"id", id}}));
    EXPECT_EQ(reply(raw)["result"]["state"], "running");
}

// Item 1: {"jsonrpc":2,...} ended in std::terminate, and every session with it.
TEST(BerthdHostile, OneLineCannotKillIt) {
    daemon_process d;
    const auto id = open_local(d, {"sh"});
    raw_client raw(d.socket());
    for (const char* line : {R"({"jsonrpc":2,"id":1,"method":"session.list"})",
                             R"({"jsonrpc":null,"id":1,"method":"session.list"})",
                             R"({"jsonrpc":["2.0"],"id":1,"method":"session.list"})",
                             R"([{"jsonrpc":2,"id":1,"method":"session.list"}])"}) {
        raw.send(std::string(line) + "\n");
        const auto r = reply(raw);
        const auto& one = r.is_array() ? r[0] : r;
        EXPECT_EQ(error_code(one), err::invalid_request) << line << " -> " << r.dump();
    }
    raw.send(request("session.get", {{"id", id}}));
    EXPECT_EQ(reply(raw)["result"]["state"], "running");
    EXPECT_TRUE(process_alive(d.pid()));
}

// Item 2: a 100,000-deep array overflowed berthd's stack where it wrote the value back out.
TEST(BerthdHostile, DeepNestingCannotKillIt) {
    daemon_process d;
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    raw_client raw(d.socket());
    for (const std::string& line :
         {R"({"jsonrpc":"2.0","id":)" + deep + R"(,"method":"session.list"})",
          R"({"jsonrpc":"2.0","id":1,"method":"session.get","params":{"id":)" + deep + "}}",
          R"({"jsonrpc":"2.0","id":1,"method":"session.open","params":{"runtime":"local",)"
          R"("options":{"command":["true"],"env":)" +
              deep + "}}}"}) {
        raw.send(line + "\n");
        EXPECT_EQ(error_code(reply(raw)), err::invalid_request);
    }
    EXPECT_TRUE(reply(raw, 10ms).is_null());
    raw.send(request("session.list"));
    EXPECT_TRUE(reply(raw).contains("result"));
    EXPECT_TRUE(process_alive(d.pid()));
}

// Item 3: four long polls froze every client, and waits went on after their client left.
TEST(BerthdHostile, LongPollsNeverDelayQuickCallsAndAreBounded) {
    daemon_process d(R"({"max_blocking_calls": 64})");
    const auto id = open_local(d, {"sh"});
    const auto end = d.call("session.get", {{"id", id}})["end_offset"];
    std::vector<raw_client> polls;
    for (int i = 0; i < 64; ++i) {
        polls.emplace_back(d.socket());
        polls.back().send(request(i % 2 ? "session.read" : "session.wait", {{"id", id},
                                                                            {"cursor", end},
                                                                            {"wait_ms", 60000},
                                                                            {"timeout_ms", 60000},
                                                                            {"pattern", "never"}}));
    }
    ASSERT_TRUE(waiting_calls_reach(d, 64)) << "the 64 long polls did not all start";
    EXPECT_LT(time_list(d).count(), k_quick_ms) << "session.list waited behind long polls";

    // The 65th waiting call is refused, by name, at once.
    raw_client extra(d.socket());
    extra.send(request("session.wait", {{"id", id}, {"pattern", "never"}, {"timeout_ms", 60000}}));
    const auto refused = reply(extra, 5s);
    EXPECT_EQ(error_code(refused), err::limit_reached) << refused.dump();
    EXPECT_NE(refused.dump().find("max_blocking_calls"), std::string::npos);

    // Their clients go away: the waits end with them, and there is room again.
    polls.clear();
    EXPECT_TRUE(waiting_calls_reach(d, 0)) << "the waits of disconnected clients went on";
    extra.send(request("session.wait", {{"id", id}, {"pattern", "never"}, {"timeout_ms", 10}}));
    EXPECT_EQ(reply(extra, 5s)["result"]["outcome"], "timeout");
}

// Item 4: 200 pipelined 1 MiB reads whose replies were never read took berthd from 45 to
// 456 MB; berthd kept reading requests and queueing replies.
TEST(BerthdHostile, RepliesAClientDoesNotReadAreBoundedAndItIsDisconnected) {
    daemon_process d(R"({"stall_timeout_ms": 2000})");
    const auto id = open_local(d, {"sh", "-c", "head -c 1048576 /dev/zero | tr '\\0' x; sleep 60"});
    d.call("session.wait", {{"id", id}, {"pattern", "x{1000}$"}, {"timeout_ms", 10000}});
    const auto pid = static_cast<pid_t>(d.pid());
    const auto before = cost_of(pid);
    std::vector<raw_client> greedy;
    std::string burst;
    for (int i = 0; i < 200; ++i)
        burst +=
            request("session.read", {{"id", id}, {"max_bytes", 1 << 20}, {"encoding", "base64"}});
    for (int i = 0; i < 8; ++i) {
        greedy.emplace_back(d.socket());
        greedy.back().send(burst);  // 200 requests; the replies are never read
    }
    // The peak over 3 s: long enough for every reply berthd will build to be built.
    process_cost during = cost_of(pid);
    for (int i = 0; i < 30; ++i) {
        std::this_thread::sleep_for(100ms);
        during.rss_kb = std::max(during.rss_kb, cost_of(pid).rss_kb);
    }
    // Per connection: max_connection_output_bytes (4 MiB) plus its calls in flight (8 reads of
    // ~1.4 MB base64); 8 connections stay under 160 MB, where 200 unbounded replies each were
    // 2.2 GB.
    std::cout << "berthd RSS: before " << before.rss_kb << " kB, peak " << during.rss_kb << " kB\n";
    if (!k_sanitized) {
        EXPECT_LT(during.rss_kb, before.rss_kb + 160 * 1024)
            << "before " << before.rss_kb << " kB, during " << during.rss_kb << " kB";
    }
    EXPECT_LT(time_list(d).count(), k_quick_ms);
    // Past stall_timeout_ms with replies unread, berthd lets them go. (Reading would count as
    // reading the replies: wait first, then drain what the socket holds up to the EOF.)
    const std::string closed_all = "berthd_limit_hits_total{limit=\"stall_timeout_ms\"} 8\n";
    bool stalled = false;
    for (const auto deadline = std::chrono::steady_clock::now() + 60s;
         !stalled && std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(100ms))
        stalled =
            d.call("metrics.get")["text"].get<std::string>().find(closed_all) != std::string::npos;
    EXPECT_TRUE(stalled) << "the 8 connections that read nothing were not closed";
    for (auto& g : greedy) EXPECT_TRUE(g.closed_by_peer(10s));
    greedy.clear();
    std::this_thread::sleep_for(500ms);
    const auto after = cost_of(pid);
    if (!k_sanitized) {
        EXPECT_LT(after.rss_kb, before.rss_kb + 32 * 1024)
            << "before " << before.rss_kb << " kB, after " << after.rss_kb << " kB";
    }
    EXPECT_LE(after.fds, before.fds + 1);
}

// Item 4: 100 connections that sent half a line and stalled held 104 MB, for ever.
TEST(BerthdHostile, AHalfLineIsDroppedAfterTheStallTimeout) {
    daemon_process d(R"({"stall_timeout_ms": 1000})");
    const auto pid = static_cast<pid_t>(d.pid());
    const auto before = cost_of(pid);
    std::vector<raw_client> stalled;
    for (int i = 0; i < 100; ++i) {
        stalled.emplace_back(d.socket());
        stalled.back().send(R"({"jsonrpc":"2.0","id":1,"method":"session.list","params":{"x":")" +
                            std::string(512 * 1024, 'p'));
    }
    EXPECT_LT(time_list(d).count(), k_quick_ms);
    for (auto& s : stalled) {
        const auto r = reply(s, 5s);
        EXPECT_EQ(error_code(r), err::invalid_request) << r.dump();
        EXPECT_NE(r.dump().find("stall_timeout_ms"), std::string::npos) << r.dump();
        EXPECT_TRUE(s.closed_by_peer(2s));
    }
    stalled.clear();
    std::this_thread::sleep_for(300ms);
    const auto after = cost_of(pid);
    if (!k_sanitized) {
        EXPECT_LT(after.rss_kb, before.rss_kb + 16 * 1024);
    }
    EXPECT_LE(after.fds, before.fds + 1);
}

TEST(BerthdHostile, ConnectionsPastTheLimitAreRefusedByName) {
    daemon_process d(R"({"max_connections": 4})");
    std::vector<raw_client> open;
    for (int i = 0; i < 4; ++i) {
        open.emplace_back(d.socket());
        open.back().send(request("session.list"));
        EXPECT_TRUE(reply(open.back()).contains("result"));
    }
    raw_client fifth(d.socket());
    const auto r = reply(fifth, 5s);
    EXPECT_EQ(error_code(r), err::limit_reached) << r.dump();
    EXPECT_NE(r.dump().find("max_connections"), std::string::npos);
    EXPECT_TRUE(fifth.closed_by_peer(2s));
    fifth.close();  // (a refused connection counts until its peer closes, at most 1 s)
    open.pop_back();
    open.back().send(request("metrics.get"));
    EXPECT_NE(reply(open.back())["result"]["text"].get<std::string>().find(
                  "berthd_limit_hits_total{limit=\"max_connections\"} 1"),
              std::string::npos);
    // The freed slot is berthd's to notice (on the I/O thread): retry until a deadline.
    json listed;
    for (const auto deadline = std::chrono::steady_clock::now() + 10s;
         !listed.contains("result") && std::chrono::steady_clock::now() < deadline;) {
        raw_client again(d.socket());
        again.send(request("session.list"));
        listed = reply(again, 5s);
        if (!listed.contains("result")) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(listed.contains("result")) << listed.dump();
}

// The half-line clock is not reset by a client that trickles bytes of the same line.
TEST(BerthdHostile, ATrickledLineIsDroppedAfterTheStallTimeoutToo) {
    daemon_process d(R"({"stall_timeout_ms": 1500})");
    raw_client slow(d.socket());
    slow.send(R"({"jsonrpc":"2.0","id":1,"method":"session.list")");
    const auto t0 = std::chrono::steady_clock::now();
    bool dropped = false;
    while (!dropped && std::chrono::steady_clock::now() - t0 < 10s) {
        std::this_thread::sleep_for(300ms);
        dropped = !slow.send(" ") || slow.read_line(1ms).has_value();
    }
    EXPECT_TRUE(dropped) << "a byte every 300 ms kept a line open for 10 s";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 6s);
}

// A write that waits for room in a session's stdin runs on a thread of its own: quick calls
// never wait behind it.
TEST(BerthdHostile, WritesThatWaitForStdinNeverDelayQuickCalls) {
    daemon_process d;
    const auto id = open_local(d, {"sleep", "600"});  // never reads its stdin
    const std::string mib(1 << 20, 'w');
    std::vector<raw_client> writers;
    for (int i = 0; i < 8; ++i) {
        writers.emplace_back(d.socket());
        writers.back().send(request("session.write", {{"id", id}, {"data", mib}}));
    }
    std::this_thread::sleep_for(500ms);  // stdin is full now; the writes wait for room
    EXPECT_LT(time_list(d).count(), k_quick_ms) << "session.list waited behind blocked writes";
    d.call("session.close", {{"id", id}, {"grace_ms", 100}});
}

// Item 5: after -32008 the socket stayed open and its fd leaked (12 -> 213 fds after 200
// tries by an unauthorised user).
TEST(BerthdHostile, RefusedPeersAreDisconnectedAtOnce) {
    daemon_process d;
    ASSERT_EQ(::chmod(d.socket().c_str(), 0666), 0);  // the file no longer keeps anyone out
    ASSERT_EQ(::chmod(d.socket().parent_path().c_str(), 0755), 0);
    const auto pid = static_cast<pid_t>(d.pid());
    const auto before = cost_of(pid);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // nobody: neither root, nor berthd's user, nor in a socket group.
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
        int refused = 0;
        for (int i = 0; i < 200; ++i) {
            raw_client c(d.socket());
            const auto line = c.read_line(5s);
            if (line && line->find("-32008") != std::string::npos && c.closed_by_peer(5s))
                ++refused;
        }
        ::_exit(refused == 200 ? 0 : 11);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "each of the 200 connections must get -32008 and then EOF (status " << status << ")";
    // Each closes when its peer has (at most k_linger later): poll, bounded.
    for (const auto deadline = std::chrono::steady_clock::now() + 10s;
         cost_of(pid).fds > before.fds + 1 && std::chrono::steady_clock::now() < deadline;)
        std::this_thread::sleep_for(50ms);
    EXPECT_LE(cost_of(pid).fds, before.fds + 1) << "refused connections leaked their fds";
}

// Not in sanitizer builds: their runtimes need descriptors of their own at the fd limit.
#ifndef BERTH_SANITIZED_BUILD
// Item 6: at the fd limit the accept loop spun at 100 % of a core, logged nothing and served
// no one, even after the connections went away.
TEST(BerthdHostile, AtTheFdLimitAcceptBacksOffLogsAndRecovers) {
    daemon_process d;
    const auto pid = static_cast<pid_t>(d.pid());
    const auto base = cost_of(pid);
    rlimit normal{};
    ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, nullptr, &normal), 0) << std::strerror(errno);
    const rlimit low{base.fds + 8, normal.rlim_max};  // the soft limit: it can go back up
    ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);
    std::vector<raw_client> hogs;
    for (int i = 0; i < 24; ++i) hogs.emplace_back(d.socket());  // the backlog takes them all
    std::this_thread::sleep_for(500ms);
    const auto t0 = cost_of(pid);
    std::this_thread::sleep_for(2s);
    const auto t1 = cost_of(pid);
    EXPECT_LT(t1.cpu_s - t0.cpu_s, 0.3) << "berthd spins while it cannot accept";
    EXPECT_NE(d.log().find("cannot accept connections"), std::string::npos) << d.log();
    hogs.clear();
    ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &normal, nullptr), 0) << std::strerror(errno);
    raw_client c(d.socket());
    c.send(request("session.list"));
    EXPECT_TRUE(reply(c, 10s).contains("result")) << "berthd did not recover";
}
#endif

}  // namespace
}  // namespace berth::test
