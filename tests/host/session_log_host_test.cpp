// Session logs with the real local plugin: every byte of a large output stays readable from
// cursor 0, from the log behind the memory ring (issue 12).
#include <gtest/gtest.h>
#include <unistd.h>
#include <berth/host/host.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "seq_text.hpp"
#include "test_support.hpp"

namespace berth::host {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class session_log_host : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("berth-host-logs-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(session_log_host, a_gigabyte_read_from_cursor_zero_after_the_session_ended_is_exact) {
#ifdef BERTH_TSAN_BUILD
    // ThreadSanitizer runs this for the races, not the size: 79 MB take it a few seconds.
    constexpr std::uint64_t k_last = 10000000;
    constexpr std::uint64_t k_least = 75000000;
#else
    // 120 million lines: 1 088 888 898 bytes, more than 1 GiB.
    constexpr std::uint64_t k_last = 120000000;
    constexpr std::uint64_t k_least = std::uint64_t{1} << 30;
#endif
    host h(
        host_options{.plugin_dirs = std::vector<fs::path>{test::plugin_dir()},
                     .session_logs = session_log_options{.dir = dir_,
                                                         .session_bytes = std::uint64_t{2} << 30,
                                                         .total_bytes = std::uint64_t{2} << 30}});
    std::shared_ptr<session> s;
    {
        auto opened = h.open_session(
            "local", R"({"command":["seq","1",")" + std::to_string(k_last) + R"("]})");
        ASSERT_TRUE(opened) << opened.err().message;
        s = opened.value();
    }
    ASSERT_TRUE(s->entry()->wait_ended(300s)) << "seq did not end";
    const auto record = s->entry()->snapshot();
    EXPECT_EQ(record.exit_code, 0);
    EXPECT_GT(record.bytes_out, k_least);
    EXPECT_TRUE(fs::exists(dir_ / (s->id() + ".log")));

    test::seq_text expected(k_last);
    std::uint64_t cursor = 0;
    bool same = true;
    for (;;) {
        const auto r = s->entry()->read(cursor, std::size_t{4} << 20);
        ASSERT_EQ(r.dropped, 0U) << "at " << cursor;
        if (r.next_cursor == cursor) break;
        for (const auto& c : r.chunks) same = same && expected.matches_next(c.bytes);
        cursor = r.next_cursor;
    }
    EXPECT_TRUE(same) << "the output differs from seq's";
    EXPECT_EQ(cursor, record.bytes_out);
    EXPECT_TRUE(expected.done()) << "output ended early, at " << cursor;
    EXPECT_TRUE(s->entry()->log().stopped.empty()) << s->entry()->log().stopped;

    // Forgetting the session deletes its log, once the last holder of the session lets go.
    const auto file = dir_ / (s->id() + ".log");
    h.forget_session(s->id());
    EXPECT_TRUE(fs::exists(file)) << "deleted under a reader";
    EXPECT_EQ(s->entry()->read(0, 10).joined(), "1\n2\n3\n4\n5\n");
    s.reset();
    EXPECT_FALSE(fs::exists(file));
}

TEST_F(session_log_host, logs_no_record_refers_to_are_pruned_and_nothing_else) {
    fs::create_directories(dir_);
    {
        registry::session_log left(dir_ / "s-0123456789ab.log", 1 << 20, nullptr);
        left.append(registry::stream::out, "from an earlier life");
    }
    // session_log_dir may be shared: files that are not session logs stay, by name or content.
    { std::ofstream(dir_ / "s-0123456789ac.log") << "named like one, but not a log"; }
    { std::ofstream(dir_ / "app.log") << "someone else's"; }
    host h(host_options{.plugin_dirs = std::vector<fs::path>{test::plugin_dir()},
                        .session_logs = session_log_options{.dir = dir_}});
    auto opened = h.open_session("local", R"({"command":["true"]})");
    ASSERT_TRUE(opened);
    EXPECT_EQ(h.prune_session_logs(), 1U);
    EXPECT_FALSE(fs::exists(dir_ / "s-0123456789ab.log"));
    EXPECT_TRUE(fs::exists(dir_ / "s-0123456789ac.log"));
    EXPECT_TRUE(fs::exists(dir_ / "app.log"));
    EXPECT_TRUE(fs::exists(dir_ / (opened.value()->id() + ".log")));
}

}  // namespace
}  // namespace berth::host
