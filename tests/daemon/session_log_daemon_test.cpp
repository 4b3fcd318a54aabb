// berthd's session logs (issue 12): a reader behind the memory ring gets every byte within
// session_log_bytes, the drop count is exact beyond it, a full disk or an unusable directory
// costs the log and never the session, a lost session's log outlives a crash of berthd, and
// logs go with their sessions.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "daemon_fixture.hpp"
#include "rpc_errors.hpp"
#include "seq_text.hpp"
#include "stream_frame.hpp"
#include "test_support.hpp"

namespace berth::test {
namespace {
using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace err = wire::rpc_error;

// What `seq 1 n` prints.
std::string seq_output(int n) {
    std::string s;
    for (int i = 1; i <= n; ++i) s += std::to_string(i) + '\n';
    return s;
}

std::string open_local(const daemon_process& d, const std::vector<std::string>& command) {
    const auto r =
        d.call("session.open", {{"runtime", "local"}, {"options", {{"command", command}}}});
    return r.value("id", "");
}

struct read_back {
    std::string bytes;
    std::uint64_t dropped = 0;
    json last;
};

// Reads from `cursor` until the session has ended and everything was read (long polls).
read_back read_all(const daemon_process& d, const std::string& id, std::uint64_t cursor = 0) {
    read_back out;
    auto c = d.client();
    for (int i = 0; i < 100000; ++i) {
        auto r = c.call("session.read", {{"id", id},
                                         {"cursor", cursor},
                                         {"max_bytes", 1 << 20},
                                         {"wait_ms", 2000},
                                         {"encoding", "base64"}});
        if (!r) {
            ADD_FAILURE() << r.err().message;
            break;
        }
        out.last = r.value();
        out.dropped += out.last["dropped"].get<std::uint64_t>();
        const auto page = joined_output(out.last);
        out.bytes += page;
        cursor = out.last["next_cursor"].get<std::uint64_t>();
        const auto state = out.last["state"].get<std::string>();
        if (page.empty() && state != "running" && state != "starting") break;
    }
    return out;
}

json wait_ended(const daemon_process& d, const std::string& id) {
    json g;
    for (int i = 0; i < 600; ++i) {
        g = d.call("session.get", {{"id", id}});
        if (g["state"] != "running" && g["state"] != "starting") break;
        std::this_thread::sleep_for(50ms);
    }
    return g;
}

TEST(SessionLogs, AFollowerStartedLateGetsEveryByte) {
    // 64 KiB of ring against 6.9 MB of output: without the log the reader would lose nearly all.
    daemon_process d(R"({"output_buffer_bytes": 65536})");
    const auto id = open_local(d, {"seq", "1", "1000000"});
    ASSERT_FALSE(id.empty());
    for (int i = 0; i < 200 && d.call("session.get", {{"id", id}})["end_offset"] < 2000000; ++i)
        std::this_thread::sleep_for(20ms);
    const auto got = read_all(d, id);
    EXPECT_EQ(got.dropped, 0U);
    EXPECT_TRUE(got.bytes == seq_output(1000000)) << "got " << got.bytes.size() << " bytes";
    EXPECT_EQ(got.last["state"], "exited");
    const auto g = d.call("session.get", {{"id", id}});
    EXPECT_EQ(g["log"]["end"], g["end_offset"]) << g.dump();
    EXPECT_FALSE(g["log"].contains("stopped")) << g.dump();
}

TEST(SessionLogs, AGigabyteReadFromCursorZeroAfterTheSessionEndedIsExact) {
#ifdef BERTH_TSAN_BUILD
    // ThreadSanitizer runs this for the races, not the size.
    constexpr std::uint64_t k_last = 10000000;  // 79 MB
#else
    constexpr std::uint64_t k_last = 120000000;  // 1 088 888 898 bytes, more than 1 GiB
#endif
    daemon_process d(R"({"session_log_bytes": 2147483648, "session_log_total_bytes": 2147483648})");
    const auto id = open_local(d, {"seq", "1", std::to_string(k_last)});
    ASSERT_FALSE(id.empty());
    auto c = d.client();
    for (int i = 0; i < 3000 && c.call("session.get", {{"id", id}}).value()["state"] == "running";
         ++i)
        std::this_thread::sleep_for(100ms);
    const auto g = d.call("session.get", {{"id", id}});
    ASSERT_EQ(g["state"], "exited") << g.dump();
    // The binary stream from cursor 0, as `berth session read` gets it.
    auto stream = d.client().open_stream(id, 0, false, false);
    ASSERT_TRUE(stream) << stream.err().message;
    seq_text expected(k_last);
    bool same = true;
    std::uint64_t got = 0;
    std::uint64_t dropped = 0;
    for (;;) {
        auto f = stream.value().next(30s);
        ASSERT_TRUE(f) << f.err().message << " after " << got << " bytes";
        if (f.value().type == wire::frame_type::end) break;
        if (f.value().type == wire::frame_type::dropped) ++dropped;
        if (f.value().type != wire::frame_type::data) continue;
        same = same && expected.matches_next(f.value().payload);
        got += f.value().payload.size();
    }
    EXPECT_EQ(dropped, 0U);
    EXPECT_TRUE(same) << "the output differs from seq's";
    EXPECT_EQ(got, g["bytes_out"].get<std::uint64_t>());
    EXPECT_TRUE(expected.done()) << "ended early, after " << got << " bytes";
}

TEST(SessionLogs, TheDropCountIsExactPastSessionLogBytes) {
    daemon_process d(R"({"output_buffer_bytes": 65536, "session_log_bytes": 1048576})");
    const auto id = open_local(d, {"seq", "1", "2000000"});
    const auto g = wait_ended(d, id);
    const auto expected = seq_output(2000000);
    const auto got = read_all(d, id);
    EXPECT_GT(got.dropped, 0U);
    EXPECT_EQ(got.dropped + got.bytes.size(), expected.size());
    EXPECT_TRUE(got.bytes == expected.substr(got.dropped)) << "the kept part differs";
    // Within the bound, and no less than most of it (records are dropped a piece at a time).
    EXPECT_GE(got.bytes.size(), 1048576U / 2);
    EXPECT_LE(g["log"]["bytes"].get<std::uint64_t>(), 1048576U) << g.dump();
}

// A mount of its own, undone at the end; a skip outside CI when mounting is not allowed.
class small_tmpfs {
public:
    explicit small_tmpfs(const fs::path& at) : at_(at) {
        fs::create_directories(at_);
        mounted_ = ::mount("tmpfs", at_.c_str(), "tmpfs", 0, "size=1m") == 0;
    }
    ~small_tmpfs() {
        if (mounted_) ::umount2(at_.c_str(), MNT_DETACH);
    }
    small_tmpfs(const small_tmpfs&) = delete;
    small_tmpfs& operator=(const small_tmpfs&) = delete;
    [[nodiscard]] bool mounted() const { return mounted_; }

private:
    fs::path at_;
    bool mounted_ = false;
};

TEST(SessionLogs, AFullDiskStopsTheLogNotTheSession) {
    const fs::path mnt = fs::temp_directory_path() / ("berth-full-" + std::to_string(::getpid()));
    small_tmpfs disk(mnt);
    if (!disk.mounted()) {
        if (in_ci()) FAIL() << "cannot mount a tmpfs (CI runs as root)";
        GTEST_SKIP() << "mounting a tmpfs needs root";
    }
    daemon_process d(R"({"output_buffer_bytes": 65536, "session_log_dir": ")" + mnt.string() +
                     R"("})");
    const auto id = open_local(d, {"seq", "1", "1000000"});  // 6.9 MB into 1 MiB of disk
    const auto other = open_local(d, {"cat"});
    const auto g = wait_ended(d, id);
    EXPECT_EQ(g["state"], "exited") << g.dump();
    EXPECT_EQ(g["exit_code"], 0) << g.dump();
    ASSERT_TRUE(g.contains("log")) << g.dump();
    const auto why = g["log"].value("stopped", "");
    EXPECT_NE(why.find("No space left on device"), std::string::npos) << g.dump();
    // What the log kept and the ring's tail are exact; the gap between is counted.
    const auto expected = seq_output(1000000);
    const auto got = read_all(d, id);
    EXPECT_EQ(got.bytes.size() + got.dropped, expected.size());
    EXPECT_TRUE(got.bytes.size() > 65536 &&
                got.bytes.compare(got.bytes.size() - 65536, 65536, expected,
                                  expected.size() - 65536, 65536) == 0);
    // The other session goes on.
    d.call("session.write", {{"id", other}, {"data", "still here\n"}});
    const auto w =
        d.call("session.wait", {{"id", other}, {"pattern", "still here"}, {"timeout_ms", 5000}});
    EXPECT_EQ(w["outcome"], "matched");
    d.call("session.close", {{"id", other}, {"grace_ms", 1000}});
}

TEST(SessionLogs, AnUnusableLogDirectoryCostsTheLogOnly) {
    daemon_process d(R"({"session_log_dir": "/proc/berth-cannot-be-here"})");
    const auto id = open_local(d, {"sh", "-c", "echo fine; exit 4"});
    const auto g = wait_ended(d, id);
    EXPECT_EQ(g["exit_code"], 4) << g.dump();
    EXPECT_NE(g["log"].value("stopped", "").find("cannot create the log"), std::string::npos)
        << g.dump();
    EXPECT_EQ(read_all(d, id).bytes, "fine\n");
}

TEST(SessionLogs, ALostSessionsLogIsReadableAfterBerthdRestarts) {
    daemon_process d(R"({"output_buffer_bytes": 65536})");
    const auto r = d.call(
        "session.open", {{"runtime", "local"},
                         {"options", {{"command", {"sh", "-c", "seq 1 200000; exec sleep 300"}}}}});
    const auto id = r["id"].get<std::string>();
    const auto pid = r["pid"].get<std::int64_t>();
    const auto w =
        d.call("session.wait", {{"id", id}, {"pattern", "\n200000\n"}, {"timeout_ms", 20000}});
    ASSERT_EQ(w["outcome"], "matched") << w.dump();
    std::this_thread::sleep_for(1500ms);  // the state file is written once a second
    d.kill_hard();
    ::kill(static_cast<pid_t>(pid), SIGKILL);  // what the dead daemon left behind
    d.start();
    const auto g = d.call("session.get", {{"id", id}});
    EXPECT_EQ(g["state"], "lost") << g.dump();
    const auto got = read_all(d, id);
    EXPECT_EQ(got.dropped, 0U);
    EXPECT_TRUE(got.bytes == seq_output(200000)) << "got " << got.bytes.size() << " bytes";
}

TEST(SessionLogs, LogsGoWithTheirSessionsAfterTheIdleTimeout) {
    daemon_process d(R"({"idle_timeout_s": 1})");
    const auto id = open_local(d, {"echo", "bye"});
    const auto file = d.dir() / "state" / "logs" / (id + ".log");
    wait_ended(d, id);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        auto c = d.client();
        gone = !c.call("session.get", {{"id", id}}) && c.last_rpc_code() == err::unknown_session;
        if (!gone) std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(gone);
    EXPECT_FALSE(fs::exists(file)) << file;
}

TEST(SessionLogs, ConfigKeysAreCheckedAndNamed) {
    const fs::path dir = fs::temp_directory_path() / ("berth-logcfg-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    for (const auto& [text, key] :
         {std::pair{R"({"session_log_bytes": 100})", "session_log_bytes"},
          std::pair{R"({"session_log_bytes": -1})", "session_log_bytes"},
          std::pair{R"({"session_log_total_bytes": 0})", "session_log_total_bytes"},
          std::pair{R"({"session_log_dir": ""})", "session_log_dir"},
          std::pair{R"({"session_log_bytes": 1048576, "session_log_total_bytes": 65536})",
                    "must be at least 'session_log_bytes'"}}) {
        std::ofstream(dir / "c.json") << text;
        const auto r =
            run_argv({(build_dir() / "bin" / "berthd").string(), "--config",
                      (dir / "c.json").string(), "--state-dir", (dir / "state").string()});
        EXPECT_EQ(r.status, 2) << text;
        EXPECT_NE(r.err.find(key), std::string::npos) << r.err;
    }
    fs::remove_all(dir);
}

}  // namespace
}  // namespace berth::test
