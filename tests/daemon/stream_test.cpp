// session.stream through berthd's real socket, with the real local plugin (issue 12): the
// exact bytes of a large output, a follower that gets everything and then the exit, input
// frames, malformed frames, and clients that leave in the middle of a frame, which must cost
// berthd, the streamed session and everyone else nothing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base64.hpp"
#include "daemon_fixture.hpp"
#include "raw_client.hpp"
#include "rpc_errors.hpp"
#include "stream_frame.hpp"
#include "test_support.hpp"

extern char** environ;

namespace berth::test {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
namespace err = wire::rpc_error;

constexpr std::size_t k_mib = std::size_t{1} << 20;

std::string open_local(const daemon_process& d, const std::vector<std::string>& command) {
    return d.call("session.open", {{"runtime", "local"}, {"options", {{"command", command}}}})
        .value("id", "");
}

// Bytes that are not all the same, from a fixed seed: a shifted or dropped piece shows.
std::string pattern_bytes(std::size_t n) {
    std::mt19937_64 gen(12);
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; i += 8) {
        const auto v = gen();
        for (std::size_t k = 0; k < 8 && i + k < n; ++k)
            s[i + k] = static_cast<char>((v >> (8 * k)) & 0xff);
    }
    return s;
}

std::filesystem::path write_file(const daemon_process& d, const std::string& name,
                                 const std::string& bytes) {
    const auto path = d.dir() / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

// Polls session.get (bounded) until the session is in `state`.
bool reaches_state(const daemon_process& d, const std::string& id, const std::string& state,
                   std::chrono::milliseconds timeout = 60s) {
    for (const auto deadline = steady::now() + timeout; steady::now() < deadline;
         std::this_thread::sleep_for(20ms))
        if (d.call("session.get", {{"id", id}}).value("state", "") == state) return true;
    return false;
}

// Polls berthd's log (bounded): it reaches the test through a pipe, after the fact.
bool log_shows(const daemon_process& d, const std::string& text) {
    for (const auto deadline = steady::now() + 10s; steady::now() < deadline;
         std::this_thread::sleep_for(20ms))
        if (d.log().find(text) != std::string::npos) return true;
    return false;
}

// The reply line that starts a stream, read a byte at a time so that not one byte of the
// frames behind it is taken (raw_client::read_line reads ahead).
json stream_reply(int fd) {
    std::string line;
    char c = 0;
    while (line.size() < 4096) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) != 1 || ::recv(fd, &c, 1, 0) != 1) return nullptr;
        if (c == '\n') return json::parse(line, nullptr, false);
        line.push_back(c);
    }
    return nullptr;
}

std::string metrics(const daemon_process& d) { return d.call("metrics.get")["text"]; }

// Polls metrics.get (bounded) until `line` is in it.
bool metrics_show(const daemon_process& d, const std::string& line,
                  std::chrono::milliseconds timeout = 15s) {
    for (const auto deadline = steady::now() + timeout; steady::now() < deadline;
         std::this_thread::sleep_for(20ms))
        if (metrics(d).find(line + "\n") != std::string::npos) return true;
    return false;
}

bool waiting_calls_reach(const daemon_process& d, int n) {
    return metrics_show(d, "berthd_waiting_calls " + std::to_string(n));
}

// Everything a stream delivers until END (or a failure of the test).
struct received {
    std::string out, err, pty;
    std::uint64_t dropped = 0;
    json end;
    std::string failure;  // why it stopped before END
};

received collect(cli::stream_client& s, std::chrono::milliseconds silence = 30s) {
    received r;
    while (true) {
        auto f = s.next(silence);
        if (!f) {
            r.failure = f.err().message;
            return r;
        }
        auto& frame = f.value();
        if (frame.type == wire::frame_type::dropped) {
            r.dropped += wire::dropped_bytes(frame);
        } else if (frame.type == wire::frame_type::end) {
            r.end = json::parse(frame.payload, nullptr, false);
            return r;
        } else {
            (frame.stream == 1 ? r.out : frame.stream == 2 ? r.err : r.pty) += frame.payload;
        }
    }
}

cli::stream_client open_stream(const daemon_process& d, const std::string& id, std::uint64_t cursor,
                               bool follow, bool input) {
    auto c = d.client();
    auto s = c.open_stream(id, cursor, follow, input);
    if (!s) throw std::runtime_error("session.stream failed: " + s.err().message);
    return std::move(s.value());
}

// Polls (bounded) until berthd holds no more fds and threads than `before`.
bool back_to(const daemon_process& d, const process_cost& before) {
    process_cost now;
    for (const auto deadline = steady::now() + 15s; steady::now() < deadline;
         std::this_thread::sleep_for(50ms)) {
        now = cost_of(static_cast<pid_t>(d.pid()));
        if (now.fds <= before.fds && now.threads <= before.threads) return true;
    }
    ADD_FAILURE() << "berthd holds " << now.fds << " fds and " << now.threads << " threads, from "
                  << before.fds << " and " << before.threads;
    return false;
}

// What must hold after any client misbehaved on a stream: berthd answers a new connection,
// another session still echoes, the streamed one still runs, no waiting call is left, and
// berthd holds no more fds or threads than before (`before`).
void everything_still_works(const daemon_process& d, const std::string& streamed,
                            int waiting_before, const process_cost& before) {
    EXPECT_TRUE(process_alive(d.pid()));
    EXPECT_TRUE(waiting_calls_reach(d, waiting_before)) << metrics(d);
    EXPECT_TRUE(back_to(d, before));
    EXPECT_TRUE(d.call("session.list").is_array());
    const auto other = open_local(d, {"cat"});
    d.call("session.write", {{"id", other}, {"data", "still-here\n"}});
    const auto w =
        d.call("session.wait", {{"id", other}, {"pattern", "still-here"}, {"timeout_ms", 10000}});
    EXPECT_EQ(w.value("outcome", ""), "matched") << w.dump();
    EXPECT_EQ(d.call("session.get", {{"id", streamed}}).value("state", ""), "running");
    d.call("session.close", {{"id", other}, {"grace_ms", 1000}});
}

TEST(SessionStream, FinishedSessionOf64MiBArrivesExactly) {
    daemon_process d(R"({"output_buffer_bytes": 70000000})");
    const auto bytes = pattern_bytes(64 * k_mib);
    const auto file = write_file(d, "big", bytes);
    const auto id = open_local(d, {"cat", file.string()});
    ASSERT_TRUE(reaches_state(d, id, "exited"));

    for (const bool follow : {true, false}) {
        auto s = open_stream(d, id, 0, follow, false);
        EXPECT_EQ(s.cursor(), 0U);
        EXPECT_EQ(s.end_offset(), bytes.size());
        const auto r = collect(s);
        ASSERT_TRUE(r.failure.empty()) << r.failure;
        EXPECT_EQ(r.dropped, 0U);
        EXPECT_TRUE(r.out == bytes) << "got " << r.out.size() << " bytes of " << bytes.size();
        EXPECT_TRUE(r.err.empty());
        EXPECT_EQ(r.end.value("state", ""), "exited") << r.end.dump();
        EXPECT_EQ(r.end.value("exit_code", -1), 0) << r.end.dump();
        EXPECT_EQ(r.end.value("next_cursor", std::uint64_t{0}), bytes.size());
        // berthd closes after END.
        EXPECT_EQ(s.next(10s).err().code, BERTH_ERR_UNAVAILABLE);
    }
    // From a cursor: the rest only.
    auto s = open_stream(d, id, bytes.size() - 1000, true, false);
    EXPECT_TRUE(collect(s).out == bytes.substr(bytes.size() - 1000));
}

// The ring is smaller than the output: what is gone is counted exactly, what is there is exact.
TEST(SessionStream, DroppedBytesAreCountedExactly) {
    // Without session logs, the memory ring is all there is.
    daemon_process d(R"({"output_buffer_bytes": 1048576, "session_log_bytes": 0})");
    const auto bytes = pattern_bytes(8 * k_mib);
    const auto id = open_local(d, {"cat", write_file(d, "big", bytes).string()});
    ASSERT_TRUE(reaches_state(d, id, "exited"));
    auto s = open_stream(d, id, 0, false, false);
    const auto r = collect(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_EQ(r.dropped + r.out.size(), bytes.size());
    EXPECT_EQ(r.dropped, bytes.size() - 1 * k_mib);
    EXPECT_TRUE(r.out == bytes.substr(r.dropped));
}

TEST(SessionStream, PastTheLogsBoundDroppedBytesAreCountedExactly) {
    daemon_process d(R"({"output_buffer_bytes": 65536, "session_log_bytes": 2097152})");
    const auto bytes = pattern_bytes(8 * k_mib);
    const auto id = open_local(d, {"cat", write_file(d, "big", bytes).string()});
    ASSERT_TRUE(reaches_state(d, id, "exited"));
    auto s = open_stream(d, id, 0, false, false);
    const auto r = collect(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_EQ(r.dropped + r.out.size(), bytes.size());
    EXPECT_GT(r.dropped, bytes.size() - 2 * k_mib - 1);  // no more than the log's bound kept
    EXPECT_GE(r.out.size(), k_mib);                      // and most of it
    EXPECT_TRUE(r.out == bytes.substr(r.dropped));
}

TEST(SessionStream, FollowerGetsEveryLaterByteThenTheExit) {
    daemon_process d(R"({"output_buffer_bytes": 33554432})");
    // cat echoes what is written; the shell then exits with a code of its own.
    const auto id = open_local(d, {"sh", "-c", "cat; echo bye >&2; exit 7"});
    d.call("session.write", {{"id", id}, {"data", "before\n"}});
    ASSERT_EQ(d.call("session.wait", {{"id", id}, {"pattern", "before"}, {"timeout_ms", 10000}})
                  .value("outcome", ""),
              "matched");
    const auto start = d.call("session.get", {{"id", id}}).value("end_offset", std::uint64_t{0});
    auto s = open_stream(d, id, start, true, false);
    EXPECT_EQ(s.cursor(), start);

    received r;
    std::thread reader([&] { r = collect(s); });
    std::string sent;
    const auto piece = pattern_bytes(48 * 1024);
    auto c = d.client();
    for (int i = 0; i < 64; ++i) {  // 3 MiB in pieces, while the stream runs
        const std::string line = std::to_string(i) + ":" + wire::base64_encode(piece) + "\n";
        ASSERT_TRUE(c.call("session.write", {{"id", id}, {"data", line}}));
        sent += line;
    }
    ASSERT_TRUE(c.call("session.close_input", {{"id", id}}));
    reader.join();
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_EQ(r.dropped, 0U);
    EXPECT_EQ(r.out.size(), sent.size());
    EXPECT_TRUE(r.out == sent);
    EXPECT_EQ(r.err, "bye\n");
    EXPECT_EQ(r.end.value("state", ""), "exited") << r.end.dump();
    EXPECT_EQ(r.end.value("exit_code", -1), 7) << r.end.dump();
    EXPECT_EQ(r.end.value("next_cursor", std::uint64_t{0}), start + sent.size() + 4);
}

TEST(SessionStream, InputFramesReachTheSession) {
    // Room for all of the echo: this client reads it only after it has sent everything.
    daemon_process d(R"({"output_buffer_bytes": 16777216})");
    const auto id = open_local(d, {"cat"});
    auto s = open_stream(d, id, 0, true, true);
    ASSERT_TRUE(s.send_input("hello\n", 10s));
    auto f = s.next(10s);
    ASSERT_TRUE(f) << f.err().message;
    EXPECT_EQ(f.value().type, wire::frame_type::data);
    EXPECT_EQ(f.value().payload, "hello\n");
    // A frame the session cannot take (no terminal to resize) is dropped, the stream goes on.
    ASSERT_TRUE(s.resize(30, 100, 10s));
    const std::string big = pattern_bytes(3 * k_mib);  // several frames, in order
    ASSERT_TRUE(s.send_input(wire::base64_encode(big) + "\n", 30s));
    ASSERT_TRUE(s.close_input(10s));
    const auto r = collect(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_EQ(r.dropped, 0U);
    EXPECT_TRUE(r.out == wire::base64_encode(big) + "\n") << r.out.size();
    EXPECT_EQ(r.end.value("exit_code", -1), 0) << r.end.dump();
}

TEST(SessionStream, SignalFramesReachTheSession) {
    daemon_process d;
    const auto id = open_local(d, {"sleep", "600"});
    auto s = open_stream(d, id, 0, true, true);
    ASSERT_TRUE(s.signal(15, 10s));
    const auto r = collect(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_EQ(r.end.value("signal", 0), 15) << r.end.dump();
}

TEST(SessionStream, ErrorsKeepTheConnectionInLineMode) {
    daemon_process d;
    const auto id = open_local(d, {"cat"});
    raw_client raw(d.socket());
    raw.send(request("session.stream", {{"id", "s-000000000000"}}));
    EXPECT_EQ(error_code(reply(raw)), err::unknown_session);
    raw.send(request("session.stream", {{"id", id}, {"cursor", 999}}));
    auto r = reply(raw);
    EXPECT_EQ(error_code(r), err::invalid_params);
    EXPECT_NE(r.dump().find("'cursor'"), std::string::npos) << r.dump();
    raw.send(request("session.stream", {{"id", id}, {"follow", "yes"}}));
    r = reply(raw);
    EXPECT_NE(r.dump().find("'follow'"), std::string::npos) << r.dump();
    raw.send(
        "[" +
        json{{"jsonrpc", "2.0"}, {"id", 4}, {"method", "session.stream"}, {"params", {{"id", id}}}}
            .dump() +
        "]\n");
    r = reply(raw);
    ASSERT_TRUE(r.is_array()) << r.dump();
    EXPECT_NE(r[0].dump().find("cannot be batched"), std::string::npos) << r.dump();
    // A notification cannot get the reply that starts a stream.
    raw.send(
        json{{"jsonrpc", "2.0"}, {"method", "session.stream"}, {"params", {{"id", id}}}}.dump() +
        "\n");
    EXPECT_NE(reply(raw).dump().find("needs an 'id'"), std::string::npos);
    // Still a JSON-RPC connection.
    raw.send(request("session.get", {{"id", id}}));
    EXPECT_EQ(reply(raw)["result"]["state"], "running");
}

TEST(SessionStream, RefusedWhileOtherRequestsOfTheConnectionRun) {
    daemon_process d;
    const auto id = open_local(d, {"cat"});
    raw_client raw(d.socket());
    raw.send(request("session.wait", {{"id", id}, {"pattern", "never"}, {"timeout_ms", 3000}}, 1) +
             request("session.stream", {{"id", id}}, 2));
    const auto r = reply(raw);
    EXPECT_EQ(r.value("id", 0), 2) << r.dump();
    EXPECT_NE(r.dump().find("still running"), std::string::npos) << r.dump();
    EXPECT_EQ(reply(raw)["result"]["outcome"], "timeout");
}

// Frames a client may not send end its stream, and only its stream.
TEST(SessionStream, MalformedClientFramesCloseTheConnection) {
    daemon_process d;
    const auto id = open_local(d, {"cat"});
    const auto waiting = 0;
    const auto before = cost_of(static_cast<pid_t>(d.pid()));
    const auto attempt = [&](bool input, const std::string& frame) {
        raw_client raw(d.socket());
        raw.send(request("session.stream", {{"id", id}, {"input", input}}));
        const auto r = reply(raw);
        ASSERT_TRUE(r.contains("result")) << r.dump();
        EXPECT_EQ(r["result"].value("frame_header_bytes", 0), 8);
        raw.send(frame);
        EXPECT_TRUE(raw.closed_by_peer(10s)) << "frame of " << frame.size() << " bytes";
    };
    attempt(true, std::string("\x63\0\0\0\0\0\0\0", 8));            // unknown type
    attempt(true, std::string("\x10\0\0\0\x7f\0\0\0", 8));          // 2 GiB payload
    attempt(true, std::string("\x12\0\0\0\0\0\0\x02", 8) + "ab");   // resize of 2 bytes
    attempt(true, std::string("\x01\x01\0\0\0\0\0\x01", 8) + "x");  // a server's frame
    attempt(false, wire::input_frame("echo no\n"));                 // input:false
    EXPECT_TRUE(log_shows(d, "malformed client frame")) << d.log();
    EXPECT_TRUE(log_shows(d, "asked for no input")) << d.log();
    // input:false: nothing reached the session.
    EXPECT_EQ(d.call("session.get", {{"id", id}}).value("end_offset", 1), 0);
    everything_still_works(d, id, waiting, before);
}

TEST(SessionStream, ClientLeavingMidDataFrameCostsNothing) {
    daemon_process d(R"({"output_buffer_bytes": 8388608})");
    const auto bytes = pattern_bytes(4 * k_mib);
    // Prints more than one frame, then stays running.
    const auto id = open_local(
        d, {"sh", "-c", "cat \"$0\"; exec sleep 600", write_file(d, "big", bytes).string()});
    ASSERT_TRUE(metrics_show(d, "berthd_waiting_calls 0"));
    const auto before = cost_of(static_cast<pid_t>(d.pid()));
    for (int round = 0; round < 3; ++round) {
        raw_client raw(d.socket());
        raw.send(request("session.stream", {{"id", id}}));
        ASSERT_TRUE(stream_reply(raw.fd()).contains("result"));
        // Half of the first DATA frame (its header says 1 MiB), then gone.
        std::string got;
        while (got.size() < 512 * 1024) {
            pollfd p{raw.fd(), POLLIN, 0};
            ASSERT_EQ(::poll(&p, 1, 10000), 1);
            char buf[65536];
            const auto n = ::recv(raw.fd(), buf, sizeof buf, 0);
            ASSERT_GT(n, 0);
            got.append(buf, static_cast<std::size_t>(n));
        }
        EXPECT_EQ(static_cast<unsigned char>(got[0]), 1U);  // DATA
        raw.close();
    }
    everything_still_works(d, id, 0, before);
}

TEST(SessionStream, ClientLeavingMidInputFrameCostsNothing) {
    daemon_process d;
    const auto id = open_local(d, {"cat"});
    ASSERT_TRUE(metrics_show(d, "berthd_waiting_calls 0"));
    const auto before = cost_of(static_cast<pid_t>(d.pid()));
    const std::string whole = wire::input_frame("never-applied\n");
    for (const std::size_t cut : {std::size_t{3}, std::size_t{8}, whole.size() - 4}) {
        raw_client raw(d.socket());
        raw.send(request("session.stream", {{"id", id}, {"input", true}}));
        ASSERT_TRUE(reply(raw).contains("result"));
        raw.send(whole.substr(0, cut));
        raw.close();
    }
    everything_still_works(d, id, 0, before);
    // Half a frame is never applied.
    EXPECT_EQ(d.call("session.get", {{"id", id}}).value("end_offset", 1), 0);
}

// A client that reads nothing is given up on after stall_timeout_ms, and counted.
TEST(SessionStream, StalledReaderIsClosedAndCounted) {
    daemon_process d(R"({"stall_timeout_ms": 500, "output_buffer_bytes": 16777216})");
    const auto bytes = pattern_bytes(8 * k_mib);
    const auto id = open_local(
        d, {"sh", "-c", "cat \"$0\"; exec sleep 600", write_file(d, "big", bytes).string()});
    ASSERT_TRUE(metrics_show(d, "berthd_waiting_calls 0"));
    const auto before = cost_of(static_cast<pid_t>(d.pid()));
    raw_client raw(d.socket());
    raw.send(request("session.stream", {{"id", id}}));
    ASSERT_TRUE(reply(raw).contains("result"));
    EXPECT_TRUE(metrics_show(d, "berthd_limit_hits_total{limit=\"stall_timeout_ms\"} 1"))
        << metrics(d);
    everything_still_works(d, id, 0, before);
}

// Input that waits for room in a session's stdin (it never reads it) holds the stream's own
// input thread, never berthd's shared quick pool: with more such streams than quick threads
// (4), other connections' quick calls still answer, and berthd is healthy after.
TEST(SessionStream, InputWaitingForRoomLeavesQuickCallsAnswering) {
    daemon_process d;
    constexpr int k_streams = 6;
    std::vector<std::string> ids;
    std::vector<cli::stream_client> streams;
    for (int i = 0; i < k_streams; ++i) {
        ids.push_back(open_local(d, {"sleep", "60"}));
        streams.push_back(open_stream(d, ids.back(), 0, true, true));
    }
    // An input stream holds two waiting calls: its output pump and its input thread.
    EXPECT_TRUE(waiting_calls_reach(d, 2 * k_streams)) << metrics(d);
    // MiBs of INPUT each, until berthd reads no more of it: a batch is then waiting for room
    // (the plugin queues 1 MiB, the pipe 64 KiB; the write waits 30 s before it gives up).
    const std::string piece = pattern_bytes(256 * 1024);
    for (auto& s : streams) {
        bool blocked = false;
        for (int i = 0; i < 64 && !blocked; ++i) {
            const auto r = s.send_input(piece, 1s);
            if (!r) {
                ASSERT_EQ(r.err().code, BERTH_ERR_TIMEOUT) << r.err().message;
                blocked = true;
            }
        }
        ASSERT_TRUE(blocked) << "berthd took 16 MiB of input for a session that reads none";
    }
    // Other connections' quick calls: each is parsed and answered on the quick pool, which
    // six waiting writes would hold for 30 s if input ran there.
    for (int i = 0; i < 3; ++i) {
        raw_client c(d.socket());
        ASSERT_TRUE(c.send(request("session.list")));
        const auto r = reply(c, 5s);
        EXPECT_TRUE(r.is_object() && r.contains("result") && r["result"].is_array())
            << "session.list did not answer within 5 s while input waited: " << r.dump();
    }
    // Healthy after: the clients go, the sessions end (the waiting writes fail at once, the
    // input is dropped), every waiting call is given back.
    streams.clear();
    for (const auto& id : ids) d.call("session.close", {{"id", id}, {"grace_ms", 1000}});
    EXPECT_TRUE(waiting_calls_reach(d, 0)) << metrics(d);
    EXPECT_TRUE(process_alive(d.pid()));
    EXPECT_TRUE(d.call("session.list").is_array());
}

// Input the session did not take in time (the write waits 30 s for room in its stdin, then
// fails with a timeout) is not dropped silently: berthd logs why and closes the stream, so the
// client knows its keystrokes were lost. The session keeps running. Takes about 30 s.
TEST(SessionStream, InputThatTimesOutClosesTheStream) {
    daemon_process d;
    const auto id = open_local(d, {"sleep", "600"});
    auto s = open_stream(d, id, 0, true, true);
    // More than the plugin queues (1 MiB) and the pipe holds: the last write waits, then fails.
    const std::string piece = pattern_bytes(256 * 1024);
    for (int i = 0; i < 16; ++i)
        if (!s.send_input(piece, 1s)) break;  // berthd reads no more while a batch waits
    const auto r = collect(s, 60s);
    EXPECT_TRUE(r.failure.find("closed") != std::string::npos) << r.failure;
    EXPECT_TRUE(log_shows(d, "closing the session.stream of " + id + ": input frame not applied"))
        << d.log();
    EXPECT_EQ(d.call("session.get", {{"id", id}}).value("state", ""), "running");
    EXPECT_TRUE(waiting_calls_reach(d, 0)) << metrics(d);
}

// SIGTERM with streams open: their sessions are closed, so they end (END, or the connection
// closes), and berthd exits cleanly and in time, its pump threads gone.
TEST(SessionStream, ShutdownEndsOpenStreams) {
    daemon_process d;
    const auto id = open_local(d, {"sleep", "600"});
    auto output_only = open_stream(d, id, 0, true, false);
    auto attached = open_stream(d, id, 0, true, true);
    const auto t0 = steady::now();
    EXPECT_EQ(d.stop(), 0) << d.log();
    EXPECT_LT(steady::now() - t0, 20s);
    for (auto* s : {&output_only, &attached}) {
        const auto r = collect(*s, 10s);
        // Either END came first (the session closed), or berthd closed the connection.
        EXPECT_TRUE(r.end.is_object() || r.failure.find("closed") != std::string::npos)
            << r.failure;
        if (r.end.is_object()) EXPECT_EQ(r.end.value("state", ""), "closed") << r.end.dump();
    }
}

TEST(BerthSessionCli, ReadFollowOf16MiBIsExact) {
    daemon_process d(R"({"output_buffer_bytes": 20000000})");
    const auto bytes = pattern_bytes(16 * k_mib);
    const auto id = open_local(d, {"sh", "-c", "echo start >&2; cat \"$0\"; exit 5",
                                   write_file(d, "big", bytes).string()});
    const std::map<std::string, std::string> env = {{"BERTH_SOCKET", d.socket().string()}};
    const auto r = run_berth({"session", "read", id, "--follow"}, {}, 120s, env);
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_EQ(r.out.size(), bytes.size());
    EXPECT_TRUE(r.out == bytes);
    EXPECT_EQ(r.err, "start\n");
    // Without --follow: what is there, exit 0; from a cursor (stdout and stderr count alike;
    // "start" went out before cat began), the rest.
    const auto end = d.call("session.get", {{"id", id}}).value("end_offset", std::uint64_t{0});
    ASSERT_EQ(end, bytes.size() + 6);
    const auto tail =
        run_berth({"session", "read", id, "--cursor", std::to_string(end - 10)}, {}, 60s, env);
    EXPECT_EQ(tail.status, 0) << tail.err;
    EXPECT_EQ(tail.out, bytes.substr(bytes.size() - 10));
}

// berthd closes a stream whose reader stalls (stall_timeout_ms); `berth session read
// --follow` then reopens it from the bytes it wrote out, so a paused reader (`| less`) loses
// nothing. berth is stopped (SIGSTOP) for longer than the stall timeout in the middle of 8 MiB.
TEST(BerthSessionCli, ReadFollowResumesAfterBerthdGivesUpOnAStalledReader) {
    daemon_process d(R"({"stall_timeout_ms": 1000, "output_buffer_bytes": 16777216})");
    const auto bytes = pattern_bytes(8 * k_mib);
    const auto id =
        open_local(d, {"sh", "-c", "cat \"$0\"; exit 5", write_file(d, "big", bytes).string()});
    ASSERT_TRUE(reaches_state(d, id, "exited"));  // all 8 MiB are in berthd before the read

    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    const auto err_path = d.dir() / "read.err";
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    ::posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args = {berth_binary().string(), "session", "read", id, "--follow"};
    std::vector<std::string> env = {"BERTH_SOCKET=" + d.socket().string()};
    for (char** e = environ; *e != nullptr; ++e)
        if (std::string_view(*e).rfind("BERTH_SOCKET=", 0) != 0) env.emplace_back(*e);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ASSERT_EQ(spawned, 0);
    const auto stop_berth = [&] {
        ::kill(pid, SIGKILL);
        int ignored = 0;
        ::waitpid(pid, &ignored, 0);
    };

    // Reads what berth writes (bounded: 30 s without a byte is a failure).
    std::string got;
    std::vector<char> buf(64 * 1024);
    const auto read_some = [&]() -> bool {  // false at EOF or after 30 s of silence
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, 30000) != 1) return false;
        const ssize_t n = ::read(out[0], buf.data(), buf.size());
        if (n <= 0) return false;
        got.append(buf.data(), static_cast<std::size_t>(n));
        return true;
    };
    while (got.size() < k_mib)
        if (!read_some()) break;
    ASSERT_GE(got.size(), k_mib) << "berth wrote " << got.size() << " bytes";
    // Paused for longer than the stall timeout: berthd gives up on this stream.
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    const bool stalled =
        metrics_show(d, "berthd_limit_hits_total{limit=\"stall_timeout_ms\"} 1", 15s);
    ::kill(pid, SIGCONT);
    if (!stalled) {
        stop_berth();
        FAIL() << "berthd did not give up on the stopped reader: " << metrics(d);
    }
    while (read_some()) {
    }
    ::close(out[0]);
    int status = -1;
    for (const auto deadline = steady::now() + 30s; steady::now() < deadline;
         std::this_thread::sleep_for(20ms))
        if (::waitpid(pid, &status, WNOHANG) == pid) break;
    if (status == -1) stop_berth();
    std::ifstream err_in(err_path);
    const std::string err((std::istreambuf_iterator<char>(err_in)), {});
    ASSERT_TRUE(WIFEXITED(status)) << status << " " << err;
    EXPECT_EQ(WEXITSTATUS(status), 5) << err;
    EXPECT_EQ(got.size(), bytes.size()) << err;
    EXPECT_TRUE(got == bytes);
    EXPECT_EQ(err, "");
}

// attach without a terminal: stdin goes in as INPUT, its end as CLOSE_INPUT, and attach exits
// with the session's status once the session has printed the rest and ended.
TEST(BerthSessionCli, AttachSendsTheEndOfStdinAsCloseInput) {
    daemon_process d;
    const auto id = open_local(d, {"sh", "-c", "cat; echo after-eof; exit 4"});
    const std::map<std::string, std::string> env = {{"BERTH_SOCKET", d.socket().string()}};
    const auto r = run_berth({"session", "attach", id}, "piped-in\n", 60s, env);
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_EQ(r.out, "piped-in\nafter-eof\n");
    EXPECT_EQ(d.call("session.get", {{"id", id}}).value("exit_code", -1), 4);
}

}  // namespace
}  // namespace berth::test
