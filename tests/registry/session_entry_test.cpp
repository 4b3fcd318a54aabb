#include <berth/registry/session_entry.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <berth/registry/metrics_store.hpp>

namespace berth::registry {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using outcome = pattern_wait_result::outcome;

constexpr std::size_t k_all = std::numeric_limits<std::size_t>::max();
// Long enough that a wait reaching it means the wake-up was missed; the assertions only
// check that we returned well before it, never how fast, so a loaded CI box cannot flake.
constexpr auto k_long = 10s;
constexpr auto k_well_before_long = 5s;
constexpr const char* k_plugin = "berth-test";

session_record make_record(std::string id = "s-test") {
    session_record r;
    r.id = std::move(id);
    r.runtime = "test";
    r.plugin = k_plugin;
    return r;
}

std::uint64_t active(const metrics_store& m) {
    const auto pm = m.get(k_plugin);
    return pm ? pm->sessions_active : 0;
}

TEST(SessionState, NamesAndFinality) {
    EXPECT_EQ(to_string(session_state::starting), "starting");
    EXPECT_EQ(to_string(session_state::running), "running");
    EXPECT_EQ(to_string(session_state::exited), "exited");
    EXPECT_EQ(to_string(session_state::failed), "failed");
    EXPECT_EQ(to_string(session_state::closed), "closed");
    EXPECT_EQ(to_string(session_state::lost), "lost");
    EXPECT_FALSE(is_final(session_state::starting));
    EXPECT_FALSE(is_final(session_state::running));
    EXPECT_TRUE(is_final(session_state::exited));
    EXPECT_TRUE(is_final(session_state::failed));
    EXPECT_TRUE(is_final(session_state::closed));
    EXPECT_TRUE(is_final(session_state::lost));
}

// --- state transitions and metrics ----------------------------------------------------------

TEST(SessionEntry, StartsAsGivenAndKeepsId) {
    const session_entry e(make_record("s-abc"), 64, nullptr);
    EXPECT_EQ(e.id(), "s-abc");
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::starting);
    EXPECT_EQ(r.plugin, k_plugin);
    EXPECT_EQ(e.end_offset(), 0U);
}

TEST(SessionEntry, MarkRunningSetsPidAndStart) {
    session_entry e(make_record(), 64, nullptr);
    e.mark_running(4242);
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::running);
    EXPECT_EQ(r.pid, 4242);
    EXPECT_TRUE(r.started.has_value());
    EXPECT_FALSE(r.ended.has_value());
}

TEST(SessionEntry, MarkEndedFromRunningRecordsExitAndEndsMetricSession) {
    metrics_store m;
    session_entry e(make_record(), 64, &m);
    e.mark_running(1);
    e.mark_ended({.exit_code = 3, .term_signal = 0, .reason = "done"});
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::exited);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.reason, "done");
    EXPECT_TRUE(r.ended.has_value());
    EXPECT_EQ(active(m), 0U);
}

TEST(SessionEntry, MarkEndedWithNeitherCodeNorSignalBecomesFailed) {
    metrics_store m;
    session_entry e(make_record(), 64, &m);
    e.mark_running(1);
    e.mark_ended({.exit_code = std::nullopt, .term_signal = 0, .reason = "gone"});
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::failed);
    EXPECT_FALSE(r.exit_code.has_value());
    EXPECT_EQ(r.term_signal, 0);
    EXPECT_EQ(r.reason, "gone");
    EXPECT_EQ(active(m), 0U);
}

TEST(ExitStatus, ShellStatusIsTheCodeOr128PlusTheSignal) {
    EXPECT_EQ(shell_status({.exit_code = 3}), 3);
    EXPECT_EQ(shell_status({.term_signal = 9}), 137);
    EXPECT_EQ(shell_status({.reason = "never ran"}), std::nullopt);
    EXPECT_TRUE(failed({.reason = "never ran"}));
    EXPECT_FALSE(failed({.exit_code = 0}));
    EXPECT_FALSE(failed({.term_signal = 15}));
}

TEST(SessionEntry, MarkEndedTwiceKeepsFirstOutcome) {
    metrics_store m;
    session_entry e(make_record(), 64, &m);
    m.session_opened(k_plugin);  // a second session, so a double decrement would show
    e.mark_running(1);
    e.mark_ended({.exit_code = 0, .term_signal = 0, .reason = ""});
    e.mark_ended({.exit_code = 7, .term_signal = 0, .reason = "late"});
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::exited);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(active(m), 1U);
}

TEST(SessionEntry, MarkEndedWhileStartingDoesNotTouchActiveSessions) {
    metrics_store m;
    m.session_opened(k_plugin);
    session_entry e(make_record(), 64, &m);
    e.mark_ended({.exit_code = 1, .term_signal = 0, .reason = ""});
    EXPECT_EQ(e.snapshot().state, session_state::exited);
    EXPECT_EQ(active(m), 1U);
}

TEST(SessionEntry, MarkClosedFromRunning) {
    metrics_store m;
    session_entry e(make_record(), 64, &m);
    e.mark_running(1);
    e.mark_closed("user closed it");
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::closed);
    EXPECT_EQ(r.reason, "user closed it");
    EXPECT_TRUE(r.ended.has_value());
    EXPECT_EQ(active(m), 0U);
}

TEST(SessionEntry, MarkClosedFromStartingDoesNotEndMetricSession) {
    metrics_store m;
    m.session_opened(k_plugin);
    session_entry e(make_record(), 64, &m);
    e.mark_closed("cancelled");
    EXPECT_EQ(e.snapshot().state, session_state::closed);
    EXPECT_EQ(active(m), 1U);
}

TEST(SessionEntry, MarkClosedAfterExitKeepsExitOutcome) {
    metrics_store m;
    session_entry e(make_record(), 64, &m);
    m.session_opened(k_plugin);
    e.mark_running(1);
    e.mark_ended({.exit_code = 5, .term_signal = 0, .reason = "exit"});
    e.mark_closed("cleanup");
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::exited);
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(r.reason, "exit");
    EXPECT_EQ(active(m), 1U);  // ended once, not twice
}

TEST(SessionEntry, MarkFailedFromStarting) {
    metrics_store m;
    m.session_opened(k_plugin);
    session_entry e(make_record(), 64, &m);
    e.mark_failed("no such image");
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::failed);
    EXPECT_EQ(r.reason, "no such image");
    EXPECT_TRUE(r.ended.has_value());
    EXPECT_EQ(active(m), 1U);
}

TEST(SessionEntry, MarkFailedFromRunningEndsMetricSession) {
    metrics_store m;
    session_entry e(make_record(), 64, &m);
    e.mark_running(1);
    e.mark_failed("runtime went away");
    EXPECT_EQ(e.snapshot().state, session_state::failed);
    EXPECT_EQ(active(m), 0U);
}

TEST(SessionEntry, MarkRunningAfterCloseDoesNotReviveSession) {
    session_entry e(make_record(), 64, nullptr);
    e.mark_closed("cancelled");
    e.mark_running(99);
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::closed);
    EXPECT_EQ(r.pid, 99);  // the pid is still worth knowing
}

TEST(SessionEntry, MarkRunningAfterAnEarlyExitCountsOpenedButNotActive) {
    // A plugin may report the exit before its open call has returned.
    metrics_store m;
    session_entry e(make_record(), 64, &m);
    e.mark_ended({.exit_code = 0, .term_signal = 0, .reason = ""});
    e.mark_running(7);
    EXPECT_EQ(e.snapshot().state, session_state::exited);
    EXPECT_EQ(m.get(k_plugin)->sessions_opened, 1U);
    EXPECT_EQ(active(m), 0U);
}

TEST(SessionEntry, MarkFailedFromStartingCountsAFailedOpen) {
    metrics_store m;
    session_entry e(make_record(), 64, &m);
    e.mark_failed("image not known");
    EXPECT_EQ(m.get(k_plugin)->sessions_failed, 1U);
    EXPECT_EQ(m.get(k_plugin)->sessions_opened, 0U);
}

TEST(SessionEntry, ClosedSessionStillRecordsHowTheProcessEnded) {
    session_entry e(make_record(), 64, nullptr);
    e.mark_running(1);
    e.mark_closed("closed by client");
    e.mark_ended({.exit_code = std::nullopt, .term_signal = 15, .reason = ""});
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::closed);
    EXPECT_EQ(r.term_signal, 15);
    EXPECT_EQ(r.reason, "closed by client");
}

TEST(SessionEntry, CountsBytesInRecordAndMetrics) {
    metrics_store m;
    session_entry e(make_record(), 8, &m);
    e.append_output(stream::out, "hello");
    e.append_output(stream::err, "world!");  // 11 bytes in a buffer of 8: counts all of them
    e.count_input(4);
    const auto r = e.snapshot();
    EXPECT_EQ(r.bytes_out, 11U);
    EXPECT_EQ(r.bytes_in, 4U);
    const auto pm = m.get(k_plugin);
    ASSERT_TRUE(pm.has_value());
    EXPECT_EQ(pm->bytes_out, 11U);
    EXPECT_EQ(pm->bytes_in, 4U);
    EXPECT_EQ(e.end_offset(), 11U);
}

TEST(SessionEntry, WorksWithoutMetrics) {
    session_entry e(make_record(), 64, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "x");
    e.count_input(1);
    e.mark_closed("bye");
    EXPECT_EQ(e.snapshot().bytes_out, 1U);
}

// --- wait_read / wait_ended ----------------------------------------------------------------

TEST(SessionEntry, WaitReadWakesWhenOutputArrives) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    std::atomic<bool> appended{false};
    std::thread writer([&] {
        std::this_thread::sleep_for(50ms);
        appended = true;
        e.append_output(stream::out, "hello");
    });
    const auto start = steady::now();
    const auto r = e.wait_read(0, k_all, k_long);
    const auto waited = steady::now() - start;
    writer.join();
    EXPECT_TRUE(appended.load());
    EXPECT_EQ(r.joined(), "hello");
    EXPECT_EQ(r.next_cursor, 5U);
    EXPECT_LT(waited, k_well_before_long);
}

TEST(SessionEntry, WaitReadReturnsAtOnceWhenOutputIsAlreadyThere) {
    session_entry e(make_record(), 1024, nullptr);
    e.append_output(stream::out, "ready");
    const auto start = steady::now();
    const auto r = e.wait_read(0, k_all, k_long);
    EXPECT_LT(steady::now() - start, k_well_before_long);
    EXPECT_EQ(r.joined(), "ready");
}

TEST(SessionEntry, WaitReadReturnsEmptyAtTimeout) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "old");
    const auto start = steady::now();
    const auto r = e.wait_read(3, k_all, 50ms);
    EXPECT_GE(steady::now() - start, 50ms);  // steady clock: never returns early
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.next_cursor, 3U);
}

TEST(SessionEntry, WaitReadWithZeroTimeoutDoesNotBlock) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    const auto r = e.wait_read(0, k_all, 0ms);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.next_cursor, 0U);
}

TEST(SessionEntry, WaitReadReturnsWhenSessionEnds) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    std::thread ender([&] {
        std::this_thread::sleep_for(50ms);
        e.mark_ended({.exit_code = 0, .term_signal = 0, .reason = ""});
    });
    const auto start = steady::now();
    const auto r = e.wait_read(0, k_all, k_long);
    const auto waited = steady::now() - start;
    ender.join();
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_LT(waited, k_well_before_long);
    EXPECT_TRUE(is_final(e.snapshot().state));
}

TEST(SessionEntry, WaitReadReportsDropped) {
    session_entry e(make_record(), 4, nullptr);
    e.append_output(stream::out, "abcdef");
    const auto r = e.wait_read(0, k_all, 0ms);
    EXPECT_EQ(r.dropped, 2U);
    EXPECT_EQ(r.joined(), "cdef");
}

TEST(SessionEntry, WaitEnded) {
    session_entry e(make_record(), 64, nullptr);
    e.mark_running(1);
    EXPECT_FALSE(e.wait_ended(0ms));
    EXPECT_FALSE(e.wait_ended(20ms));
    std::thread closer([&] {
        std::this_thread::sleep_for(50ms);
        e.mark_closed("bye");
    });
    const auto start = steady::now();
    EXPECT_TRUE(e.wait_ended(k_long));
    EXPECT_LT(steady::now() - start, k_well_before_long);
    closer.join();
    EXPECT_TRUE(e.wait_ended(0ms));
}

TEST(SessionEntry, HugeTimeoutDoesNotOverflow) {
    session_entry e(make_record(), 64, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "x");
    const auto r = e.wait_read(0, k_all, std::chrono::milliseconds::max());
    EXPECT_EQ(r.joined(), "x");
    e.mark_closed("bye");
    EXPECT_TRUE(e.wait_ended(std::chrono::milliseconds::max()));
}

// --- wait_for_pattern ----------------------------------------------------------------------

TEST(SessionEntry, PatternMatchesAcrossAppends) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "xxhel");
    std::thread writer([&] {
        std::this_thread::sleep_for(50ms);
        e.append_output(stream::out, "lo world");
    });
    const re2::RE2 re("hello");
    const auto start = steady::now();
    const auto r = e.wait_for_pattern(0, re, k_long);
    const auto waited = steady::now() - start;
    writer.join();
    ASSERT_EQ(r.result, outcome::matched);
    ASSERT_TRUE(r.match.has_value());
    EXPECT_EQ(r.match->text, "hello");
    EXPECT_EQ(r.match->begin, 2U);
    EXPECT_EQ(r.match->end, 7U);
    EXPECT_EQ(r.match->next_cursor, 7U);
    EXPECT_EQ(r.dropped, 0U);
    EXPECT_LT(waited, k_well_before_long);
}

TEST(SessionEntry, PatternMatchesAcrossStreamChange) {
    session_entry e(make_record(), 1024, nullptr);
    e.append_output(stream::out, "ab");
    e.append_output(stream::err, "cd");
    const re2::RE2 re("bc");
    const auto r = e.wait_for_pattern(0, re, 0ms);
    ASSERT_EQ(r.result, outcome::matched);
    EXPECT_EQ(r.match->begin, 1U);
}

TEST(SessionEntry, PatternRespectsCursorAndReportsAbsoluteOffsets) {
    session_entry e(make_record(), 1024, nullptr);
    e.append_output(stream::out, "foo bar foo baz foo");
    const re2::RE2 re("fo+");
    auto r = e.wait_for_pattern(0, re, 0ms);
    ASSERT_EQ(r.result, outcome::matched);
    EXPECT_EQ(r.match->begin, 0U);

    r = e.wait_for_pattern(1, re, 0ms);  // "oo" at 1 is not "fo+"
    ASSERT_EQ(r.result, outcome::matched);
    EXPECT_EQ(r.match->begin, 8U);
    EXPECT_EQ(r.match->end, 11U);

    r = e.wait_for_pattern(r.match->next_cursor, re, 0ms);
    ASSERT_EQ(r.result, outcome::matched);
    EXPECT_EQ(r.match->begin, 16U);
    EXPECT_EQ(r.match->next_cursor, 19U);

    r = e.wait_for_pattern(r.match->next_cursor, re, 0ms);
    EXPECT_EQ(r.result, outcome::timeout);
    EXPECT_EQ(r.scanned_to, 19U);
}

TEST(SessionEntry, PatternOffsetsStayAbsoluteAfterWrap) {
    session_entry e(make_record(), 8, nullptr);
    e.append_output(stream::out, "0123456789");  // begin 2
    e.append_output(stream::out, "ab");          // begin 4: buffer "456789ab"
    const re2::RE2 re("9a");
    const auto r = e.wait_for_pattern(0, re, 0ms);
    ASSERT_EQ(r.result, outcome::matched);
    EXPECT_EQ(r.dropped, 4U);
    EXPECT_EQ(r.match->begin, 9U);
    EXPECT_EQ(r.match->end, 11U);
    EXPECT_EQ(r.scanned_to, 12U);
}

TEST(SessionEntry, PatternTimesOutWhileSessionRuns) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "nothing to see");
    const re2::RE2 re("needle");
    const auto start = steady::now();
    const auto r = e.wait_for_pattern(0, re, 50ms);
    EXPECT_GE(steady::now() - start, 50ms);
    EXPECT_EQ(r.result, outcome::timeout);
    EXPECT_FALSE(r.match.has_value());
    EXPECT_EQ(r.scanned_to, 14U);
}

TEST(SessionEntry, PatternZeroTimeoutChecksOnce) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    const re2::RE2 re("x");
    EXPECT_EQ(e.wait_for_pattern(0, re, 0ms).result, outcome::timeout);
    e.append_output(stream::out, "x");
    EXPECT_EQ(e.wait_for_pattern(0, re, 0ms).result, outcome::matched);
}

TEST(SessionEntry, PatternReportsEndedWhenOutputHoldsNoMatch) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "bye");
    e.mark_ended({.exit_code = 0, .term_signal = 0, .reason = ""});
    const re2::RE2 re("needle");
    const auto r = e.wait_for_pattern(0, re, k_long);
    EXPECT_EQ(r.result, outcome::ended);
    EXPECT_EQ(r.scanned_to, 3U);
}

TEST(SessionEntry, PatternStillMatchesOutputOfEndedSession) {
    session_entry e(make_record(), 1024, nullptr);
    e.append_output(stream::out, "needle");
    e.mark_closed("bye");
    const re2::RE2 re("needle");
    EXPECT_EQ(e.wait_for_pattern(0, re, 0ms).result, outcome::matched);
}

TEST(SessionEntry, PatternWaitWakesWhenSessionEnds) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    std::thread ender([&] {
        std::this_thread::sleep_for(50ms);
        e.mark_failed("lost runtime");
    });
    const re2::RE2 re("needle");
    const auto start = steady::now();
    const auto r = e.wait_for_pattern(0, re, k_long);
    const auto waited = steady::now() - start;
    ender.join();
    EXPECT_EQ(r.result, outcome::ended);
    EXPECT_LT(waited, k_well_before_long);
}

TEST(SessionEntry, PatternCursorPastEndWaitsForOutputBeyondIt) {
    session_entry e(make_record(), 1024, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "ab");
    const re2::RE2 re("b");
    EXPECT_EQ(e.wait_for_pattern(5, re, 0ms).result, outcome::timeout);
    e.append_output(stream::out, "bbbbb");  // offsets 2..6; cursor 5 sees "bb"
    const auto r = e.wait_for_pattern(5, re, 0ms);
    ASSERT_EQ(r.result, outcome::matched);
    EXPECT_EQ(r.match->begin, 5U);
}

TEST(SessionEntry, CatastrophicBacktrackingPatternFinishes) {
    session_entry e(make_record(), 200'000, nullptr);
    e.append_output(stream::out, std::string(100'000, 'a'));
    e.mark_ended({.exit_code = 0, .term_signal = 0, .reason = ""});
    const re2::RE2 re("(a+)+b");
    ASSERT_TRUE(re.ok());
    EXPECT_EQ(e.wait_for_pattern(0, re, 0ms).result, outcome::ended);

    session_entry with_b(make_record(), 200'000, nullptr);
    with_b.append_output(stream::out, std::string(100'000, 'a') + "b");
    const auto r = with_b.wait_for_pattern(0, re, 0ms);
    ASSERT_EQ(r.result, outcome::matched);
    // A match longer than the wait's overlap (64 KiB) is found from within it, not from the
    // first 'a' (docs/api.md, session.wait).
    EXPECT_LE(r.match->begin, 100'000U - session_entry::k_pattern_overlap);
    EXPECT_EQ(r.match->end, 100'001U);
}

// --- concurrency ---------------------------------------------------------------------------

constexpr int k_writers = 8;
constexpr int k_readers = 4;
constexpr int k_records = 10'000;
// "w3:00042:e\n": writer, sequence, stream tag. Fixed width so the total is known up front.
constexpr std::size_t k_record_size = 11;
constexpr std::uint64_t k_total = std::uint64_t{k_writers} * k_records * k_record_size;

stream writer_stream(int w) { return w % 2 == 0 ? stream::out : stream::err; }

std::string make_line(int w, int seq) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "w%d:%05d:%c\n", w, seq,
                  writer_stream(w) == stream::out ? 'o' : 'e');
    return buf;
}

// What a reader saw: bytes with their stream, split into runs wherever it was told bytes
// were dropped.
struct reader_log {
    std::vector<std::string> runs;
    std::vector<std::vector<stream>> run_streams;
    std::uint64_t bytes_read = 0;
    std::uint64_t dropped = 0;
    bool cursor_consistent = true;
};

reader_log follow(const session_entry& e) {
    reader_log log;
    log.runs.emplace_back();
    log.run_streams.emplace_back();
    std::uint64_t cursor = 0;
    while (cursor < k_total) {
        const auto r = e.wait_read(cursor, 4096, k_long);
        const std::uint64_t got = r.joined().size();
        if (r.next_cursor != cursor + r.dropped + got) {
            log.cursor_consistent = false;
            break;
        }
        if (r.dropped > 0) {
            log.runs.emplace_back();
            log.run_streams.emplace_back();
        }
        for (const auto& chunk : r.chunks) {
            log.runs.back() += chunk.bytes;
            log.run_streams.back().insert(log.run_streams.back().end(), chunk.bytes.size(),
                                          chunk.source);
        }
        log.bytes_read += got;
        log.dropped += r.dropped;
        cursor = r.next_cursor;
        if (got == 0 && r.dropped == 0 && is_final(e.snapshot().state)) {
            break;  // ended short of k_total: a bug, reported by the caller's checks
        }
    }
    return log;
}

// Checks one reader's runs: whole, well-formed records whose stream tags match the chunk
// stream, per-writer sequence numbers strictly increasing. A run after a drop may begin in
// the middle of a record; that partial record is skipped. Returns records seen per writer.
std::vector<int> check_runs(const reader_log& log, bool expect_no_drops) {
    std::vector<int> last(k_writers, -1);
    std::vector<int> count(k_writers, 0);
    for (std::size_t run = 0; run < log.runs.size(); ++run) {
        const std::string& text = log.runs[run];
        const auto& streams = log.run_streams[run];
        std::size_t pos = 0;
        if (run > 0) {
            EXPECT_FALSE(expect_no_drops);
            const auto nl = text.find('\n');
            pos = nl == std::string::npos ? text.size() : nl + 1;
        }
        for (; pos + k_record_size <= text.size(); pos += k_record_size) {
            const std::string line = text.substr(pos, k_record_size);
            int w = -1;
            int seq = -1;
            char tag = 0;
            EXPECT_EQ(std::sscanf(line.c_str(), "w%d:%5d:%c", &w, &seq, &tag), 3) << line;
            if (w < 0 || w >= k_writers) {
                ADD_FAILURE() << "bad record " << line;
                return count;
            }
            EXPECT_EQ(line, make_line(w, seq));
            EXPECT_GT(seq, last[w]) << "writer " << w << " out of order or repeated";
            if (expect_no_drops) {
                EXPECT_EQ(seq, last[w] + 1) << "writer " << w << " skipped a record";
            }
            last[w] = seq;
            ++count[w];
            EXPECT_EQ(streams[pos], writer_stream(w));
            EXPECT_EQ(streams[pos + k_record_size - 1], writer_stream(w));
        }
        // Only the very end of the output may hold a partial record; runs end where a drop
        // began, which may also cut a record.
        if (run + 1 == log.runs.size()) {
            EXPECT_EQ(pos, text.size());
        }
    }
    return count;
}

void run_writers_and_readers(session_entry& e, std::vector<reader_log>& logs) {
    logs.resize(k_readers);
    std::vector<std::thread> readers;
    for (int r = 0; r < k_readers; ++r) {
        readers.emplace_back([&e, &logs, r] { logs[r] = follow(e); });
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < k_writers; ++w) {
        writers.emplace_back([&e, w] {
            for (int seq = 0; seq < k_records; ++seq) {
                e.append_output(writer_stream(w), make_line(w, seq));
            }
        });
    }
    for (auto& t : writers) {
        t.join();
    }
    e.mark_ended({.exit_code = 0, .term_signal = 0, .reason = ""});
    for (auto& t : readers) {
        t.join();
    }
}

TEST(SessionEntry, ConcurrentReadersSeeEveryByteOnceInOrder) {
    metrics_store m;
    session_entry e(make_record(), 2 * k_total, &m);
    e.mark_running(1);
    std::vector<reader_log> logs;
    run_writers_and_readers(e, logs);

    ASSERT_EQ(e.end_offset(), k_total);
    const std::string all = e.read(0, k_all).joined();
    ASSERT_EQ(all.size(), k_total);
    for (const auto& log : logs) {
        EXPECT_TRUE(log.cursor_consistent);
        EXPECT_EQ(log.dropped, 0U);
        EXPECT_EQ(log.bytes_read, k_total);
        ASSERT_EQ(log.runs.size(), 1U);
        EXPECT_TRUE(log.runs[0] == all) << "reader saw bytes differing from the buffer";
        const auto count = check_runs(log, true);
        for (int w = 0; w < k_writers; ++w) {
            EXPECT_EQ(count[w], k_records) << "writer " << w;
        }
    }
    EXPECT_EQ(e.snapshot().bytes_out, k_total);
    EXPECT_EQ(m.get(k_plugin)->bytes_out, k_total);
}

TEST(SessionEntry, ConcurrentReadersAccountForDroppedBytes) {
    session_entry e(make_record(), 4096, nullptr);
    e.mark_running(1);
    std::vector<reader_log> logs;
    run_writers_and_readers(e, logs);

    ASSERT_EQ(e.end_offset(), k_total);
    for (const auto& log : logs) {
        EXPECT_TRUE(log.cursor_consistent);
        EXPECT_EQ(log.bytes_read + log.dropped, k_total);
        (void)check_runs(log, false);
    }
}

// --- memory follows the output ---------------------------------------------------------------

constexpr std::size_t k_mib = std::size_t{1} << 20;

TEST(SessionEntryMemory, ASessionThatPrintsNothingHoldsNoBuffer) {
    session_entry e(make_record(), k_mib, nullptr);  // a `true` session
    EXPECT_EQ(e.output_allocated(), 0U);
    e.mark_running(1);
    e.mark_ended({.exit_code = 0});
    EXPECT_EQ(e.output_allocated(), 0U);
    EXPECT_TRUE(e.read(0, k_all).chunks.empty());
}

TEST(SessionEntryMemory, BufferGrowsWithOutputNotWithTheCapacity) {
    session_entry e(make_record(), k_mib, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "hello\n");
    EXPECT_LE(e.output_allocated(), output_buffer::k_initial_allocation);
    std::string big(300 * 1024, 'x');
    e.append_output(stream::out, big);
    EXPECT_GE(e.output_allocated(), big.size() + 6);
    EXPECT_LE(e.output_allocated(), 2 * (big.size() + 6));
    EXPECT_LT(e.output_allocated(), k_mib);
}

// Each final state gives back what is not holding output; the output stays readable by
// cursor, at the same offsets.
TEST(SessionEntryMemory, FinalStatesKeepExactlyTheOutput) {
    const auto check_final = [](const char* how, auto&& finish) {
        SCOPED_TRACE(how);
        session_entry e(make_record(), k_mib, nullptr);
        e.mark_running(1);
        e.append_output(stream::out, "line one\n");
        e.append_output(stream::err, "oops\n");
        EXPECT_GT(e.output_allocated(), 14U);
        finish(e);
        EXPECT_TRUE(is_final(e.snapshot().state));
        EXPECT_EQ(e.output_allocated(), 14U);
        EXPECT_EQ(e.end_offset(), 14U);
        const auto r = e.read(0, k_all);
        EXPECT_EQ(r.joined(), "line one\noops\n");
        ASSERT_EQ(r.chunks.size(), 2U);
        EXPECT_EQ(r.chunks[1].source, stream::err);
        const auto tail = e.wait_read(9, k_all, 0ms);
        EXPECT_EQ(tail.joined(), "oops\n");
        EXPECT_EQ(tail.next_cursor, 14U);
    };
    check_final("exited", [](session_entry& e) { e.mark_ended({.exit_code = 0}); });
    check_final("killed", [](session_entry& e) { e.mark_ended({.term_signal = 9}); });
    check_final("closed", [](session_entry& e) { e.mark_closed("closed"); });
    check_final("failed", [](session_entry& e) { e.mark_failed("the runtime went away"); });
}

TEST(SessionEntryMemory, OutputAfterCloseIsKeptAndGivenBackAtTheExit) {
    // The host marks the session closed before the plugin stops it; the process may still
    // print on its way out, and the plugin reports the exit after the last output.
    session_entry e(make_record(), k_mib, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "working\n");
    e.mark_closed("closed by client");
    EXPECT_EQ(e.output_allocated(), 8U);
    e.append_output(stream::err, "got SIGTERM, bye\n");
    EXPECT_GT(e.output_allocated(), 25U);
    e.mark_ended({.term_signal = 15});
    EXPECT_EQ(e.output_allocated(), 25U);
    EXPECT_EQ(e.read(0, k_all).joined(), "working\ngot SIGTERM, bye\n");
    const auto r = e.snapshot();
    EXPECT_EQ(r.state, session_state::closed);
    EXPECT_EQ(r.term_signal, 15);
}

TEST(SessionEntryMemory, AWrappedBufferStaysWholeWhenTheSessionEnds) {
    session_entry e(make_record(), 16, nullptr);
    e.mark_running(1);
    e.append_output(stream::out, "0123456789");
    e.append_output(stream::out, "abcdefghij");  // wrapped: begin 4
    e.mark_ended({.exit_code = 0});
    EXPECT_EQ(e.output_allocated(), 16U);
    const auto r = e.read(0, k_all);
    EXPECT_EQ(r.dropped, 4U);
    EXPECT_EQ(r.joined(), "456789abcdefghij");
}

}  // namespace
}  // namespace berth::registry
