#include <sys/stat.h>
#include <unistd.h>
#include <berth/registry/session_entry.hpp>
#include <berth/registry/session_log.hpp>

#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <re2/re2.h>

namespace berth::registry {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t k_all = SIZE_MAX;

class session_log_test : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("berth-log-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

// Distinct bytes per offset, so a byte read from the wrong place shows.
std::string pattern_bytes(std::uint64_t from, std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (from + i) * 7 % 26);
    return s;
}

// Everything readable from `cursor` on, in pieces, with what was reported dropped.
struct drained {
    std::string bytes;
    std::uint64_t dropped = 0;
    std::uint64_t end = 0;
};
template <typename Reader>
drained drain(const Reader& r, std::uint64_t cursor, std::size_t piece = 100000) {
    drained d;
    for (;;) {
        auto got = r.read(cursor, piece);
        if (got.next_cursor == cursor) break;
        d.dropped += got.dropped;
        d.bytes += got.joined();
        cursor = got.next_cursor;
    }
    d.end = cursor;
    return d;
}

TEST_F(session_log_test, keeps_every_byte_and_the_streams_apart) {
    session_log log(dir_ / "a.log", 1 << 20, nullptr);
    log.append(stream::out, "hello ");
    log.append(stream::err, "oops ");
    log.append(stream::out, "world");
    const auto r = log.read(0, k_all);
    ASSERT_EQ(r.chunks.size(), 3U);
    EXPECT_EQ(r.chunks[0].source, stream::out);
    EXPECT_EQ(r.chunks[1].source, stream::err);
    EXPECT_EQ(r.chunks[1].bytes, "oops ");
    EXPECT_EQ(r.joined(), "hello oops world");
    EXPECT_EQ(r.next_cursor, 16U);
    EXPECT_EQ(r.dropped, 0U);
    // From the middle of a record, a bounded page.
    const auto mid = log.read(8, 5);
    EXPECT_EQ(mid.joined(), "ps wo");
    EXPECT_EQ(mid.next_cursor, 13U);
    EXPECT_TRUE(log.stopped().empty());
}

TEST_F(session_log_test, past_its_bound_drops_the_oldest_and_counts_exactly) {
    constexpr std::uint64_t bound = 256 << 10;
    session_log log(dir_ / "b.log", bound, nullptr);
    std::uint64_t total = 0;
    for (int i = 0; i < 1000; ++i) {  // ~4 MiB in records of varied size
        const std::size_t n = 1000 + static_cast<std::size_t>(i % 7) * 500;
        log.append(i % 3 == 0 ? stream::err : stream::out, pattern_bytes(total, n));
        total += n;
    }
    EXPECT_LE(log.held_bytes(), bound);
    EXPECT_GT(log.held_bytes(), bound / 2);
    const auto d = drain(log, 0);
    EXPECT_EQ(d.end, total);
    EXPECT_EQ(d.dropped + d.bytes.size(), total);
    EXPECT_EQ(d.dropped, log.begin_offset());
    EXPECT_EQ(d.bytes, pattern_bytes(d.dropped, d.bytes.size()));
    // The file gave its oldest blocks back: far less is allocated than was written.
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "b.log").c_str(), &st), 0);
    EXPECT_LT(static_cast<std::uint64_t>(st.st_blocks) * 512, bound + 2 * 65536 + 8192);
    EXPECT_GE(static_cast<std::uint64_t>(st.st_size), total);
}

TEST_F(session_log_test, a_record_larger_than_the_bound_keeps_its_newest_part) {
    constexpr std::uint64_t bound = 64 << 10;
    session_log log(dir_ / "c.log", bound, nullptr);
    log.append(stream::out, "old");
    const std::string big = pattern_bytes(3, 200000);
    log.append(stream::out, big);
    const auto d = drain(log, 0);
    EXPECT_EQ(d.end, 200003U);
    EXPECT_EQ(d.dropped + d.bytes.size(), 200003U);
    EXPECT_EQ(d.bytes, big.substr(big.size() - d.bytes.size()));
    EXPECT_LE(log.held_bytes(), bound);
}

TEST_F(session_log_test, a_restored_log_reads_back_what_an_earlier_host_wrote) {
    const auto file = dir_ / "d.log";
    std::uint64_t begin = 0;
    {
        session_log log(file, 128 << 10, nullptr);
        for (std::uint64_t at = 0; at < 1000000; at += 5000)
            log.append(at % 2 ? stream::err : stream::out, pattern_bytes(at, 5000));
        begin = log.begin_offset();
    }
    // A torn last record, as when the host died in a write: the log ends before it.
    {
        FILE* f = std::fopen(file.c_str(), "ab");
        ASSERT_NE(f, nullptr);
        const unsigned char torn[] = {1, 0, 0, 0, 100, 0, 0, 0, 'x'};
        std::fwrite(torn, 1, sizeof torn, f);
        std::fclose(f);
    }
    auto space = std::make_shared<log_space>(std::uint64_t{1} << 30);
    session_log back(session_log::restored, file, space);
    EXPECT_EQ(back.begin_offset(), begin);
    EXPECT_EQ(back.end_offset(), 1000000U);
    EXPECT_EQ(space->used(), back.held_bytes());
    const auto d = drain(back, 0);
    EXPECT_EQ(d.dropped, begin);
    EXPECT_EQ(d.bytes, pattern_bytes(begin, 1000000 - begin));

    session_log missing(session_log::restored, dir_ / "none.log", nullptr);
    EXPECT_NE(missing.stopped().find("none.log"), std::string::npos) << missing.stopped();
    EXPECT_EQ(missing.read(0, k_all).next_cursor, 0U);
}

TEST_F(session_log_test, the_total_bound_takes_room_from_the_largest_log) {
    auto space = std::make_shared<log_space>(300 << 10);
    session_log big(dir_ / "big.log", 1 << 20, space);
    session_log small(dir_ / "small.log", 1 << 20, space);
    for (int i = 0; i < 60; ++i) big.append(stream::out, pattern_bytes(0, 4096));
    small.append(stream::out, "small and precious");
    for (int i = 0; i < 30; ++i) small.append(stream::out, pattern_bytes(0, 4096));
    EXPECT_LE(space->used(), 300U << 10);
    EXPECT_EQ(space->used(), big.held_bytes() + small.held_bytes());
    EXPECT_GT(big.begin_offset(), 0U);    // gave its oldest part
    EXPECT_EQ(small.begin_offset(), 0U);  // kept all of its own
    EXPECT_TRUE(small.stopped().empty());
    small.remove();
    EXPECT_FALSE(fs::exists(dir_ / "small.log"));
    EXPECT_EQ(space->used(), big.held_bytes());
}

TEST_F(session_log_test, the_total_bound_takes_room_from_ended_sessions_first) {
    auto space = std::make_shared<log_space>(300 << 10);
    session_log ended(dir_ / "ended.log", 1 << 20, space);
    session_log running(dir_ / "running.log", 1 << 20, space);
    session_log writer(dir_ / "writer.log", 1 << 20, space);
    for (int i = 0; i < 25; ++i) ended.append(stream::out, pattern_bytes(0, 4096));
    ended.seal();
    for (int i = 0; i < 40; ++i) running.append(stream::out, pattern_bytes(0, 4096));
    for (int i = 0; i < 25; ++i) writer.append(stream::out, pattern_bytes(0, 4096));
    EXPECT_LE(space->used(), 300U << 10);
    EXPECT_GT(ended.begin_offset(), 0U);    // the ended session's log gave first
    EXPECT_EQ(running.begin_offset(), 0U);  // though the running one is larger
    EXPECT_EQ(writer.begin_offset(), 0U);
}

TEST_F(session_log_test, a_log_that_cannot_be_written_stops_and_says_why) {
    session_log nowhere(dir_ / "no-such-dir" / "x.log", 1 << 20, nullptr);
    EXPECT_NE(nowhere.stopped().find("cannot create the log"), std::string::npos)
        << nowhere.stopped();
    nowhere.append(stream::out, "lost to the log, not to the session");
    EXPECT_EQ(nowhere.end_offset(), 0U);

    // /dev/full: every write fails with ENOSPC, as on a full disk.
    session_log full("/dev/full", 1 << 20, nullptr);
    full.append(stream::out, "x");
    EXPECT_NE(full.stopped().find("No space left on device"), std::string::npos) << full.stopped();
}

TEST_F(session_log_test, an_entry_serves_readers_behind_its_ring_from_the_log) {
    constexpr std::size_t ring = 64 << 10;
    session_entry e(session_record{}, ring, nullptr,
                    std::make_unique<session_log>(dir_ / "e.log", 64 << 20, nullptr));
    std::uint64_t total = 0;
    for (int i = 0; i < 400; ++i) {  // ~4 MiB: 64 times the ring
        const std::size_t n = 7000 + static_cast<std::size_t>(i % 5) * 1111;
        e.append_output(i % 4 == 0 ? stream::err : stream::out, pattern_bytes(total, n));
        total += n;
    }
    const auto d = drain(e, 0, 300000);
    EXPECT_EQ(d.dropped, 0U);
    EXPECT_EQ(d.end, total);
    EXPECT_EQ(d.bytes, pattern_bytes(0, total));
    // The streams stay apart through the log too.
    const auto first = e.read(0, 7000);
    ASSERT_EQ(first.chunks.size(), 1U);
    EXPECT_EQ(first.chunks[0].source, stream::err);
    const auto log = e.log();
    EXPECT_TRUE(log.kept);
    EXPECT_EQ(log.end, total);
    EXPECT_TRUE(log.stopped.empty());

    // Without a log the same reader is told what it missed.
    session_entry bare(session_record{}, ring, nullptr);
    bare.append_output(stream::out, pattern_bytes(0, 4 * ring));
    const auto b = drain(bare, 0);
    EXPECT_EQ(b.dropped, 3 * ring);
    EXPECT_FALSE(bare.log().kept);
}

TEST_F(session_log_test, an_entry_whose_log_stopped_goes_on_from_memory) {
    constexpr std::size_t ring = 64 << 10;
    session_entry e(session_record{}, ring, nullptr,
                    std::make_unique<session_log>("/dev/full", 1 << 20, nullptr));
    e.append_output(stream::out, pattern_bytes(0, 3 * ring));
    EXPECT_EQ(e.end_offset(), 3 * ring);
    EXPECT_NE(e.log().stopped.find("No space left"), std::string::npos);
    const auto d = drain(e, 0);
    EXPECT_EQ(d.dropped, 2 * ring);
    EXPECT_EQ(d.bytes, pattern_bytes(2 * ring, ring));
}

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

TEST_F(session_log_test, an_ended_sessions_log_holds_no_fd_and_still_reads_and_trims) {
    auto space = std::make_shared<log_space>(1 << 20);
    const std::size_t before = open_fds();
    session_entry e(session_record{}, 4096, nullptr,
                    std::make_unique<session_log>(dir_ / "f.log", 1 << 20, space));
    EXPECT_EQ(open_fds(), before + 1);
    for (std::uint64_t at = 0; at < 600000; at += 4000)
        e.append_output(stream::out, pattern_bytes(at, 4000));
    exit_status ok;
    ok.exit_code = 0;
    e.mark_ended(ok);
    EXPECT_EQ(open_fds(), before);
    EXPECT_EQ(drain(e, 0).bytes, pattern_bytes(0, 600000));
    // Another log needing the room takes it from the ended one, through a file opened for it.
    session_log next(dir_ / "g.log", 1 << 20, space);
    next.append(stream::out, pattern_bytes(0, 600000));
    EXPECT_GT(e.log().begin, 0U);
    EXPECT_LT(e.log().begin, 600000U - 4096);  // it gave its oldest part, not all
    const auto d = drain(e, 0);
    EXPECT_EQ(d.dropped, e.log().begin);
    EXPECT_EQ(d.bytes, pattern_bytes(d.dropped, 600000 - d.dropped));
    EXPECT_TRUE(next.stopped().empty()) << next.stopped();
}

TEST_F(session_log_test, a_restored_entry_reads_its_log_and_ends_where_it_ended) {
    const auto file = dir_ / "r.log";
    {
        session_entry live(session_record{}, 4096, nullptr,
                           std::make_unique<session_log>(file, 1 << 20, nullptr));
        live.append_output(stream::out, pattern_bytes(0, 50000));
    }
    session_record r;
    r.state = session_state::lost;
    session_entry back(r, 4096, nullptr,
                       std::make_unique<session_log>(session_log::restored, file, nullptr));
    EXPECT_EQ(back.end_offset(), 50000U);
    const auto d = drain(back, 0);
    EXPECT_EQ(d.dropped, 0U);
    EXPECT_EQ(d.bytes, pattern_bytes(0, 50000));
    EXPECT_EQ(back.wait_read(50000, k_all, 10s).next_cursor, 50000U);  // final: returns at once
}

TEST_F(session_log_test, a_pattern_wait_finds_a_match_behind_the_ring_and_across_pieces) {
    constexpr std::size_t ring = 64 << 10;
    session_entry e(session_record{}, ring, nullptr,
                    std::make_unique<session_log>(dir_ / "p.log", 64 << 20, nullptr));
    const std::string filler(4 << 20, '.');
    e.append_output(stream::out, filler);
    e.append_output(stream::out, "MARK");
    const re2::RE2 early("MA+RK");
    auto w = e.wait_for_pattern(0, early, 0ms);
    EXPECT_EQ(w.result, pattern_wait_result::outcome::matched);
    ASSERT_TRUE(w.match);
    EXPECT_EQ(w.match->begin, filler.size());
    EXPECT_EQ(w.dropped, 0U);

    session_entry pieces(session_record{}, ring, nullptr,
                         std::make_unique<session_log>(dir_ / "q.log", 64 << 20, nullptr));
    // "END" straddles the boundary of the wait's first piece.
    pieces.append_output(stream::out, std::string(session_entry::k_pattern_piece - 2, '-'));
    pieces.append_output(stream::out, "END");
    pieces.append_output(stream::out, std::string(100, '-'));
    w = pieces.wait_for_pattern(0, re2::RE2("END"), 0ms);
    ASSERT_TRUE(w.match);
    EXPECT_EQ(w.match->begin, session_entry::k_pattern_piece - 2);
}

TEST_F(session_log_test, a_pattern_wait_sees_context_across_its_pieces_and_cuts) {
    const std::size_t piece = session_entry::k_pattern_piece;
    const std::size_t keep =
        session_entry::k_pattern_overlap + session_entry::k_pattern_context + 1;
    session_entry e(session_record{}, 64 << 10, nullptr,
                    std::make_unique<session_log>(dir_ / "c.log", 64 << 20, nullptr));
    // "NOERROR" across the end of the first piece, and again across the place where the
    // first pass cuts what it keeps: neither is the word ERROR, nor at a line start.
    std::string out(piece - 2, '.');
    out.replace(piece - keep - 1, 7, "NOERROR");
    out += "NOERROR";
    out += std::string(3 << 20, 'x');  // then x up to the end of this batch
    e.append_output(stream::out, out);
    exit_status done;
    done.exit_code = 0;
    e.append_output(stream::out, "y");
    e.mark_ended(done);
    for (const char* p : {"\\bERROR\\b", "(?m)^ERROR", "x$", "x\\z"}) {
        const auto w = e.wait_for_pattern(0, re2::RE2(p), 10s);
        EXPECT_EQ(w.result, pattern_wait_result::outcome::ended)
            << p << " matched at " << (w.match ? w.match->begin : 0);
    }
    // What is there is found, with its real offsets.
    const auto no = e.wait_for_pattern(0, re2::RE2("NOERROR"), 10s);
    ASSERT_TRUE(no.match);
    EXPECT_EQ(no.match->begin, piece - keep - 1);
    const auto second = e.wait_for_pattern(no.match->end, re2::RE2("NOERROR"), 10s);
    ASSERT_TRUE(second.match);
    EXPECT_EQ(second.match->begin, piece - 2);
    const auto last = e.wait_for_pattern(0, re2::RE2("xy$"), 10s);
    ASSERT_TRUE(last.match);
    EXPECT_EQ(last.match->end, e.end_offset());
}

TEST_F(session_log_test, a_pattern_wait_over_a_long_backlog_stops_when_its_caller_goes) {
    session_entry e(session_record{}, 64 << 10, nullptr,
                    std::make_unique<session_log>(dir_ / "s.log", 64 << 20, nullptr));
    e.append_output(stream::out, std::string(8 << 20, '.'));
    std::stop_source gone;
    gone.request_stop();
    const auto w = e.wait_for_pattern(0, re2::RE2("never"), 10s, gone.get_token());
    EXPECT_EQ(w.result, pattern_wait_result::outcome::timeout);
    // One piece searched, not the whole backlog; a next wait goes on from there.
    EXPECT_EQ(w.scanned_to, session_entry::k_pattern_piece);
}

TEST_F(session_log_test, a_pattern_wait_over_arriving_output_matches_across_appends) {
    session_entry e(session_record{}, 1 << 20, nullptr);
    std::thread writer([&] {
        for (int i = 0; i < 200; ++i) e.append_output(stream::out, std::string(4096, 'x') + "\n");
        e.append_output(stream::out, "DO");
        std::this_thread::sleep_for(20ms);
        e.append_output(stream::out, "NE\n");
    });
    const auto w = e.wait_for_pattern(0, re2::RE2("DONE"), 10s);
    writer.join();
    ASSERT_EQ(w.result, pattern_wait_result::outcome::matched);
    EXPECT_EQ(w.match->begin, 200U * 4097);
}

}  // namespace
}  // namespace berth::registry
