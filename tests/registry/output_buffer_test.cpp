#include <berth/registry/output_buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

constexpr std::size_t k_all = std::numeric_limits<std::size_t>::max();

// Capacity 0: observers only. Nothing is held or allocated, yet every byte is counted, and a
// reader from any earlier cursor is told exactly how many bytes it missed.
TEST(OutputBuffer, ZeroCapacityKeepsNothingButCountsEveryByte) {
    output_buffer buf(0);
    EXPECT_EQ(buf.capacity(), 0U);
    buf.append(stream::out, "hello");
    buf.append(stream::err, "");  // still nothing
    buf.append(stream::err, "oops\n");
    buf.append(stream::out, std::string(100000, 'x'));
    EXPECT_EQ(buf.end_offset(), 5U + 5U + 100000U);
    EXPECT_EQ(buf.begin_offset(), buf.end_offset());
    EXPECT_EQ(buf.size(), 0U);
    EXPECT_EQ(buf.allocated(), 0U);

    const auto from_zero = buf.read(0, k_all);
    EXPECT_TRUE(from_zero.chunks.empty());
    EXPECT_EQ(from_zero.dropped, buf.end_offset());
    EXPECT_EQ(from_zero.next_cursor, buf.end_offset());

    const auto from_middle = buf.read(7, 3);
    EXPECT_TRUE(from_middle.chunks.empty());
    EXPECT_EQ(from_middle.dropped, buf.end_offset() - 7);
    EXPECT_EQ(from_middle.next_cursor, buf.end_offset());

    // At the end there is nothing to read and nothing missed; past it the cursor stays.
    const auto at_end = buf.read(buf.end_offset(), k_all);
    EXPECT_EQ(at_end.dropped, 0U);
    EXPECT_EQ(at_end.next_cursor, buf.end_offset());
    const auto past = buf.read(buf.end_offset() + 5, k_all);
    EXPECT_EQ(past.dropped, 0U);
    EXPECT_EQ(past.next_cursor, buf.end_offset() + 5);

    EXPECT_EQ(buf.copy_range(0, buf.end_offset()), "");
    buf.shrink_to_fit();
    EXPECT_EQ(buf.allocated(), 0U);
    EXPECT_EQ(buf.end_offset(), 100010U);  // shrinking moves no offset
}

// A reader that keeps up with a capacity-0 buffer sees each append as exactly its own length
// dropped, and nothing twice.
TEST(OutputBuffer, ZeroCapacityDropCountsAddUpForAFollower) {
    output_buffer buf(0);
    std::uint64_t cursor = 0;
    std::uint64_t dropped = 0;
    for (std::size_t len : {1U, 0U, 4096U, 3U, 65536U}) {
        buf.append(stream::out, std::string(len, 'y'));
        const auto r = buf.read(cursor, k_all);
        EXPECT_TRUE(r.chunks.empty());
        EXPECT_EQ(r.dropped, len);
        dropped += r.dropped;
        cursor = r.next_cursor;
    }
    EXPECT_EQ(cursor, buf.end_offset());
    EXPECT_EQ(dropped, 1U + 4096U + 3U + 65536U);
}

TEST(OutputBuffer, NamesStreams) {
    EXPECT_EQ(to_string(stream::out), "stdout");
    EXPECT_EQ(to_string(stream::err), "stderr");
    EXPECT_EQ(to_string(stream::pty), "pty");
}

TEST(OutputBuffer, EmptyBufferReadsNothing) {
    const output_buffer buf(16);
    const auto r = buf.read(0, k_all);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.next_cursor, 0U);
    EXPECT_EQ(r.dropped, 0U);
    EXPECT_EQ(buf.begin_offset(), 0U);
    EXPECT_EQ(buf.end_offset(), 0U);
    EXPECT_EQ(buf.capacity(), 16U);
}

TEST(OutputBuffer, EmptyAppendChangesNothing) {
    output_buffer buf(16);
    buf.append(stream::out, "ab");
    buf.append(stream::err, "");
    buf.append(stream::out, "cd");
    const auto r = buf.read(0, k_all);
    ASSERT_EQ(r.chunks.size(), 1U);
    EXPECT_EQ(r.chunks[0].bytes, "abcd");
}

TEST(OutputBuffer, ReadsFromCursorAndReturnsNextCursor) {
    output_buffer buf(16);
    buf.append(stream::out, "hello ");
    buf.append(stream::out, "world");
    EXPECT_EQ(buf.end_offset(), 11U);

    auto r = buf.read(0, k_all);
    ASSERT_EQ(r.chunks.size(), 1U);  // same stream merges into one chunk
    EXPECT_EQ(r.chunks[0].source, stream::out);
    EXPECT_EQ(r.chunks[0].bytes, "hello world");
    EXPECT_EQ(r.next_cursor, 11U);
    EXPECT_EQ(r.dropped, 0U);

    r = buf.read(6, k_all);
    EXPECT_EQ(r.joined(), "world");
    EXPECT_EQ(r.next_cursor, 11U);

    r = buf.read(11, k_all);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.next_cursor, 11U);
}

TEST(OutputBuffer, ReadHonoursMaxBytes) {
    output_buffer buf(32);
    buf.append(stream::out, "abcdefghij");
    std::uint64_t cursor = 0;
    std::string seen;
    int reads = 0;
    while (cursor < buf.end_offset()) {
        const auto r = buf.read(cursor, 3);
        EXPECT_LE(r.joined().size(), 3U);
        EXPECT_EQ(r.next_cursor, cursor + r.joined().size());
        seen += r.joined();
        cursor = r.next_cursor;
        ++reads;
    }
    EXPECT_EQ(seen, "abcdefghij");
    EXPECT_EQ(reads, 4);
}

TEST(OutputBuffer, ZeroMaxBytesReportsGapButReadsNothing) {
    output_buffer buf(4);
    buf.append(stream::out, "abcdef");
    const auto r = buf.read(0, 0);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.dropped, 2U);
    EXPECT_EQ(r.next_cursor, 2U);  // the gap is reported once, then reading goes on from there
}

TEST(OutputBuffer, CursorPastEndIsReturnedUnchanged) {
    output_buffer buf(8);
    buf.append(stream::out, "abc");
    const auto r = buf.read(100, k_all);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.next_cursor, 100U);
    EXPECT_EQ(r.dropped, 0U);
}

TEST(OutputBuffer, WrapsAroundKeepingNewestBytes) {
    output_buffer buf(8);
    buf.append(stream::out, "abcde");
    buf.append(stream::out, "fghij");
    EXPECT_EQ(buf.begin_offset(), 2U);
    EXPECT_EQ(buf.end_offset(), 10U);
    const auto r = buf.read(2, k_all);
    EXPECT_EQ(r.joined(), "cdefghij");
    EXPECT_EQ(r.dropped, 0U);
    EXPECT_EQ(r.next_cursor, 10U);
}

TEST(OutputBuffer, ReportsDroppedBytesWhenReaderFallsBehind) {
    output_buffer buf(8);
    buf.append(stream::out, "0123456789");  // 10 > 8: begin moves to 2
    buf.append(stream::out, "abc");         // begin moves to 5
    auto r = buf.read(0, k_all);
    EXPECT_EQ(r.dropped, 5U);
    EXPECT_EQ(r.joined(), "56789abc");
    EXPECT_EQ(r.next_cursor, 13U);

    r = buf.read(4, k_all);
    EXPECT_EQ(r.dropped, 1U);
    EXPECT_EQ(r.joined(), "56789abc");

    r = buf.read(5, k_all);
    EXPECT_EQ(r.dropped, 0U);
}

TEST(OutputBuffer, DropCountsAreExactOverManyAppends) {
    output_buffer buf(10);
    std::uint64_t total = 0;
    for (int i = 0; i < 100; ++i) {
        buf.append(stream::out, "xyz");
        total += 3;
    }
    const auto r = buf.read(0, k_all);
    EXPECT_EQ(r.dropped, total - 10);
    EXPECT_EQ(r.joined().size(), 10U);
    EXPECT_EQ(r.dropped + r.joined().size(), total);
    EXPECT_EQ(r.next_cursor, total);
}

TEST(OutputBuffer, SingleAppendLargerThanCapacityKeepsTail) {
    output_buffer buf(4);
    buf.append(stream::err, "ab");
    buf.append(stream::out, "0123456789");
    EXPECT_EQ(buf.begin_offset(), 8U);
    EXPECT_EQ(buf.end_offset(), 12U);
    const auto r = buf.read(0, k_all);
    EXPECT_EQ(r.dropped, 8U);
    ASSERT_EQ(r.chunks.size(), 1U);
    EXPECT_EQ(r.chunks[0].source, stream::out);
    EXPECT_EQ(r.chunks[0].bytes, "6789");

    // Appending after the oversize write wraps normally.
    buf.append(stream::err, "XY");
    const auto r2 = buf.read(0, k_all);
    EXPECT_EQ(r2.dropped, 10U);
    ASSERT_EQ(r2.chunks.size(), 2U);
    EXPECT_EQ(r2.chunks[0].bytes, "89");
    EXPECT_EQ(r2.chunks[1].source, stream::err);
    EXPECT_EQ(r2.chunks[1].bytes, "XY");
}

TEST(OutputBuffer, AppendOfExactlyCapacityReplacesEverything) {
    output_buffer buf(4);
    buf.append(stream::out, "ab");
    buf.append(stream::err, "wxyz");
    const auto r = buf.read(0, k_all);
    EXPECT_EQ(r.dropped, 2U);
    ASSERT_EQ(r.chunks.size(), 1U);
    EXPECT_EQ(r.chunks[0].source, stream::err);
    EXPECT_EQ(r.chunks[0].bytes, "wxyz");
}

TEST(OutputBuffer, SplitsChunksAtStreamChanges) {
    output_buffer buf(64);
    buf.append(stream::out, "o1");
    buf.append(stream::err, "e1");
    buf.append(stream::err, "e2");
    buf.append(stream::out, "o2");
    buf.append(stream::pty, "p1");
    const auto r = buf.read(0, k_all);
    ASSERT_EQ(r.chunks.size(), 4U);
    EXPECT_EQ(r.chunks[0].source, stream::out);
    EXPECT_EQ(r.chunks[0].bytes, "o1");
    EXPECT_EQ(r.chunks[1].source, stream::err);
    EXPECT_EQ(r.chunks[1].bytes, "e1e2");
    EXPECT_EQ(r.chunks[2].source, stream::out);
    EXPECT_EQ(r.chunks[2].bytes, "o2");
    EXPECT_EQ(r.chunks[3].source, stream::pty);
    EXPECT_EQ(r.chunks[3].bytes, "p1");
    EXPECT_EQ(r.joined(), "o1e1e2o2p1");

    // A cursor in the middle of a run starts with the rest of that run.
    const auto mid = buf.read(3, 4);
    ASSERT_EQ(mid.chunks.size(), 2U);
    EXPECT_EQ(mid.chunks[0].source, stream::err);
    EXPECT_EQ(mid.chunks[0].bytes, "1e2");
    EXPECT_EQ(mid.chunks[1].source, stream::out);
    EXPECT_EQ(mid.chunks[1].bytes, "o");
    EXPECT_EQ(mid.next_cursor, 7U);
}

TEST(OutputBuffer, KeepsStreamsApartAcrossWrap) {
    output_buffer buf(8);
    buf.append(stream::out, "aaaa");
    buf.append(stream::err, "bbbb");
    buf.append(stream::out, "cc");  // overwrites the first two 'a's
    auto r = buf.read(0, k_all);
    EXPECT_EQ(r.dropped, 2U);
    ASSERT_EQ(r.chunks.size(), 3U);
    EXPECT_EQ(r.chunks[0].source, stream::out);
    EXPECT_EQ(r.chunks[0].bytes, "aa");
    EXPECT_EQ(r.chunks[1].source, stream::err);
    EXPECT_EQ(r.chunks[1].bytes, "bbbb");
    EXPECT_EQ(r.chunks[2].source, stream::out);
    EXPECT_EQ(r.chunks[2].bytes, "cc");

    buf.append(stream::err, "ddd");  // the 'a' run is gone entirely; 'b' run is cut
    r = buf.read(0, k_all);
    EXPECT_EQ(r.dropped, 5U);
    ASSERT_EQ(r.chunks.size(), 3U);
    EXPECT_EQ(r.chunks[0].source, stream::err);
    EXPECT_EQ(r.chunks[0].bytes, "bbb");
    EXPECT_EQ(r.chunks[1].source, stream::out);
    EXPECT_EQ(r.chunks[1].bytes, "cc");
    EXPECT_EQ(r.chunks[2].source, stream::err);
    EXPECT_EQ(r.chunks[2].bytes, "ddd");
}

TEST(OutputBuffer, CopyRangeClampsToBufferedBytes) {
    output_buffer buf(8);
    buf.append(stream::out, "abcdef");
    buf.append(stream::err, "ghij");  // begin 2, end 10, stored wrapped
    EXPECT_EQ(buf.copy_range(2, 10), "cdefghij");
    EXPECT_EQ(buf.copy_range(0, 4), "cd");
    EXPECT_EQ(buf.copy_range(5, 8), "fgh");
    EXPECT_EQ(buf.copy_range(8, 100), "ij");
    EXPECT_EQ(buf.copy_range(6, 6), "");
    EXPECT_EQ(buf.copy_range(7, 3), "");
    EXPECT_EQ(buf.copy_range(20, 30), "");
}

// Random appends of random sizes and streams, checked against a plain string holding every
// byte ever written with its stream.
TEST(OutputBuffer, MatchesReferenceModelUnderRandomAppends) {
    std::mt19937 rng(12345);
    for (const std::size_t capacity : {1U, 2U, 7U, 16U, 100U}) {
        output_buffer buf(capacity);
        std::string all;
        std::vector<stream> sources;
        for (int step = 0; step < 400; ++step) {
            const auto len = std::uniform_int_distribution<std::size_t>(0, capacity * 2)(rng);
            const auto src = static_cast<stream>(std::uniform_int_distribution<int>(1, 3)(rng));
            std::string bytes;
            for (std::size_t i = 0; i < len; ++i) {
                bytes += static_cast<char>('a' + (all.size() + i) % 26);
            }
            buf.append(src, bytes);
            all += bytes;
            sources.insert(sources.end(), len, src);

            ASSERT_EQ(buf.end_offset(), all.size());
            ASSERT_EQ(buf.begin_offset(), all.size() - std::min(all.size(), capacity));

            const auto cursor = std::uniform_int_distribution<std::uint64_t>(0, all.size())(rng);
            const auto max = std::uniform_int_distribution<std::size_t>(0, capacity + 1)(rng);
            const auto r = buf.read(cursor, max);
            const std::uint64_t start = std::max<std::uint64_t>(cursor, buf.begin_offset());
            ASSERT_EQ(r.dropped, start - cursor);
            const std::string expect = all.substr(start, max);
            ASSERT_EQ(r.joined(), expect);
            ASSERT_EQ(r.next_cursor, start + expect.size());

            std::uint64_t at = start;
            for (std::size_t i = 0; i < r.chunks.size(); ++i) {
                const auto& chunk = r.chunks[i];
                ASSERT_FALSE(chunk.bytes.empty());
                for (std::size_t k = 0; k < chunk.bytes.size(); ++k) {
                    ASSERT_EQ(chunk.source, sources[at + k]) << "offset " << at + k;
                }
                if (i > 0) {
                    ASSERT_NE(chunk.source, r.chunks[i - 1].source);  // runs are maximal
                }
                at += chunk.bytes.size();
            }
        }
    }
}

// --- memory follows the output ---------------------------------------------------------------

constexpr std::size_t k_initial = output_buffer::k_initial_allocation;

// Every byte kept, with its stream, read back as (stream, text) runs from begin_offset().
std::vector<std::pair<stream, std::string>> runs(const output_buffer& buf) {
    std::vector<std::pair<stream, std::string>> out;
    for (auto& c : buf.read(buf.begin_offset(), k_all).chunks) out.emplace_back(c.source, c.bytes);
    return out;
}

TEST(OutputBufferMemory, StartsWithNoStorage) {
    const output_buffer buf;
    EXPECT_EQ(buf.capacity(), output_buffer::k_default_capacity);
    EXPECT_EQ(buf.allocated(), 0U);
    EXPECT_EQ(buf.size(), 0U);
    EXPECT_TRUE(buf.read(0, k_all).chunks.empty());
    EXPECT_EQ(buf.copy_range(0, 100), "");
}

TEST(OutputBufferMemory, SmallOutputTakesASmallAllocation) {
    output_buffer buf;  // 1 MiB bound
    buf.append(stream::out, "hello\n");
    EXPECT_EQ(buf.allocated(), k_initial);
    EXPECT_EQ(buf.size(), 6U);
    EXPECT_EQ(buf.capacity(), output_buffer::k_default_capacity);
    EXPECT_EQ(buf.read(0, k_all).joined(), "hello\n");
}

TEST(OutputBufferMemory, NeverAllocatesPastCapacity) {
    output_buffer tiny(16);
    tiny.append(stream::out, "a");
    EXPECT_EQ(tiny.allocated(), 16U);  // the bound is below the first allocation
    output_buffer buf(10000);
    buf.append(stream::out, std::string(9000, 'x'));
    EXPECT_EQ(buf.allocated(), 9000U);  // a first append larger than 4 KiB takes what it needs
    buf.append(stream::out, std::string(5000, 'y'));
    EXPECT_EQ(buf.allocated(), 10000U);
    EXPECT_EQ(buf.size(), 10000U);
}

TEST(OutputBufferMemory, GrowsGeometricallyWithOutput) {
    constexpr std::size_t cap = std::size_t{1} << 20;
    output_buffer buf(cap);
    std::size_t grows = 0;
    std::size_t last = 0;
    std::string all;
    const std::string line = "0123456789abcdefghijklmnopqrstuvwxyz\n";  // 37 bytes
    while (all.size() < cap) {
        buf.append(stream::out, line);
        all += line;
        ASSERT_GE(buf.allocated(), std::min(all.size(), cap));
        // Within a factor of two of what is held (or the first allocation), never past the cap.
        ASSERT_LE(buf.allocated(), std::min(cap, std::max(k_initial, 2 * all.size())));
        if (buf.allocated() != last) {
            ++grows;
            last = buf.allocated();
        }
    }
    EXPECT_EQ(buf.allocated(), cap);
    EXPECT_LE(grows, 10U);  // 4 KiB, 8 KiB, ... 1 MiB: doubling, not a step per append
    // Every byte kept across the re-linearising copies.
    EXPECT_EQ(buf.begin_offset(), all.size() - cap);
    EXPECT_EQ(buf.read(0, k_all).joined(), all.substr(all.size() - cap));
}

TEST(OutputBufferMemory, WrapsAfterGrowingAndKeepsStreams) {
    constexpr std::size_t cap = 3 * k_initial + 100;  // grows 4 KiB, 8 KiB, then cap
    output_buffer buf(cap);
    std::string all;
    std::vector<stream> sources;
    for (int i = 0; all.size() < 3 * cap; ++i) {
        const stream s = i % 3 == 0 ? stream::err : stream::out;
        const std::string bytes(100 + i % 77, static_cast<char>('a' + i % 26));
        buf.append(s, bytes);
        all += bytes;
        sources.insert(sources.end(), bytes.size(), s);
        ASSERT_LE(buf.allocated(), cap);
        ASSERT_EQ(buf.end_offset(), all.size());
        ASSERT_EQ(buf.begin_offset(), all.size() - std::min(all.size(), cap));
    }
    EXPECT_EQ(buf.allocated(), cap);
    const auto r = buf.read(0, k_all);
    EXPECT_EQ(r.dropped, all.size() - cap);
    EXPECT_EQ(r.joined(), all.substr(all.size() - cap));
    std::uint64_t at = buf.begin_offset();
    for (const auto& chunk : r.chunks) {
        for (std::size_t k = 0; k < chunk.bytes.size(); ++k)
            ASSERT_EQ(chunk.source, sources[at + k]) << "offset " << at + k;
        at += chunk.bytes.size();
    }
    // Reads that straddle the ring's seam.
    for (std::uint64_t from = buf.begin_offset(); from < all.size(); from += 997)
        ASSERT_EQ(buf.copy_range(from, from + 1500), all.substr(from, 1500)) << from;
}

TEST(OutputBufferMemory, ShrinkKeepsEveryByteOffsetAndStream) {
    output_buffer buf(64 * 1024);
    buf.append(stream::out, "out one\n");
    buf.append(stream::err, "err one\n");
    buf.append(stream::pty, "pty\n");
    buf.append(stream::out, "out two\n");
    const auto before = runs(buf);
    const auto begin = buf.begin_offset();
    const auto end = buf.end_offset();
    EXPECT_EQ(buf.allocated(), k_initial);

    buf.shrink_to_fit();
    EXPECT_EQ(buf.allocated(), buf.size());
    EXPECT_EQ(buf.allocated(), 28U);
    EXPECT_EQ(buf.capacity(), 64U * 1024);  // the bound stays
    EXPECT_EQ(buf.begin_offset(), begin);
    EXPECT_EQ(buf.end_offset(), end);
    EXPECT_EQ(runs(buf), before);
    const auto mid = buf.read(10, 9);  // "r one\npty" across a stream change
    ASSERT_EQ(mid.chunks.size(), 2U);
    EXPECT_EQ(mid.chunks[0].bytes, "r one\n");
    EXPECT_EQ(mid.chunks[1].source, stream::pty);
    EXPECT_EQ(mid.next_cursor, 19U);

    buf.shrink_to_fit();  // twice is the same as once
    EXPECT_EQ(buf.allocated(), 28U);
    EXPECT_EQ(runs(buf), before);

    // Output after a shrink grows the buffer again and continues the same offsets and runs.
    buf.append(stream::out, "out three\n");
    EXPECT_GT(buf.allocated(), 28U);
    EXPECT_EQ(buf.read(0, k_all).joined(), "out one\nerr one\npty\nout two\nout three\n");
    EXPECT_EQ(runs(buf).size(), 4U);  // "out two\n" and "out three\n" stay one run
}

TEST(OutputBufferMemory, ShrinkOfAWrappedRingKeepsItsBytes) {
    // A full ring at capacity holds capacity bytes; after a shrink the bytes are the same. Then
    // a ring smaller than capacity (after a shrink) wraps only once it grew back to the cap.
    output_buffer buf(8);
    buf.append(stream::out, "abcde");
    buf.append(stream::err, "fghij");  // wrapped: begin 2
    buf.shrink_to_fit();
    EXPECT_EQ(buf.allocated(), 8U);
    EXPECT_EQ(buf.read(0, k_all).joined(), "cdefghij");
    EXPECT_EQ(buf.read(0, k_all).dropped, 2U);

    output_buffer big(16);
    big.append(stream::out, "0123456789");
    big.shrink_to_fit();
    EXPECT_EQ(big.allocated(), 10U);
    big.append(stream::err, "ABCDEFGHIJ");  // grows to 16 and drops the 4 oldest
    EXPECT_EQ(big.allocated(), 16U);
    EXPECT_EQ(big.begin_offset(), 4U);
    const auto r = big.read(0, k_all);
    EXPECT_EQ(r.dropped, 4U);
    ASSERT_EQ(r.chunks.size(), 2U);
    EXPECT_EQ(r.chunks[0].bytes, "456789");
    EXPECT_EQ(r.chunks[1].source, stream::err);
    EXPECT_EQ(r.chunks[1].bytes, "ABCDEFGHIJ");
}

TEST(OutputBufferMemory, ShrinkOfAnEmptyBufferHoldsNothing) {
    output_buffer buf(1 << 20);  // a session that printed nothing (`true`)
    buf.shrink_to_fit();
    EXPECT_EQ(buf.allocated(), 0U);
    EXPECT_TRUE(buf.read(0, k_all).chunks.empty());
    buf.append(stream::out, "after");
    EXPECT_EQ(buf.allocated(), k_initial);
    EXPECT_EQ(buf.read(0, k_all).joined(), "after");
}

TEST(OutputBufferMemory, OversizeAppendAllocatesOnlyTheCapacity) {
    output_buffer buf(100);
    buf.append(stream::out, "ab");
    buf.append(stream::err, std::string(1000, 'z'));
    EXPECT_EQ(buf.allocated(), 100U);
    EXPECT_EQ(buf.begin_offset(), 902U);
    buf.shrink_to_fit();
    EXPECT_EQ(buf.allocated(), 100U);  // full: nothing to give back
}

// The reference model again, with capacities past the first allocation (so the ring grows
// while it fills) and shrink_to_fit at random points.
TEST(OutputBufferMemory, MatchesReferenceModelWithGrowthAndShrinks) {
    std::mt19937 rng(777);
    for (const std::size_t capacity : {std::size_t{1}, std::size_t{100}, k_initial - 1, k_initial,
                                       k_initial + 1, 5 * k_initial + 3}) {
        output_buffer buf(capacity);
        std::string all;
        std::vector<stream> sources;
        for (int step = 0; step < 600; ++step) {
            if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
                buf.shrink_to_fit();
                ASSERT_EQ(buf.allocated(), buf.size());
            }
            // Mostly small appends, sometimes up to twice the capacity.
            const std::size_t most = std::uniform_int_distribution<int>(0, 9)(rng) == 0
                                         ? capacity * 2
                                         : std::min<std::size_t>(capacity, 300);
            const auto len = std::uniform_int_distribution<std::size_t>(0, most)(rng);
            const auto src = static_cast<stream>(std::uniform_int_distribution<int>(1, 3)(rng));
            std::string bytes;
            for (std::size_t i = 0; i < len; ++i)
                bytes += static_cast<char>('a' + (all.size() + i) % 26);
            buf.append(src, bytes);
            all += bytes;
            sources.insert(sources.end(), len, src);

            ASSERT_EQ(buf.end_offset(), all.size());
            ASSERT_EQ(buf.begin_offset(), all.size() - std::min(all.size(), capacity));
            ASSERT_EQ(buf.size(), std::min(all.size(), capacity));
            ASSERT_GE(buf.allocated(), buf.size());
            ASSERT_LE(buf.allocated(), capacity);

            const auto cursor = std::uniform_int_distribution<std::uint64_t>(0, all.size())(rng);
            const auto max = std::uniform_int_distribution<std::size_t>(0, capacity + 1)(rng);
            const auto r = buf.read(cursor, max);
            const std::uint64_t start = std::max<std::uint64_t>(cursor, buf.begin_offset());
            ASSERT_EQ(r.dropped, start - cursor);
            ASSERT_EQ(r.joined(), all.substr(start, max));
            std::uint64_t at = start;
            for (const auto& chunk : r.chunks) {
                ASSERT_FALSE(chunk.bytes.empty());
                for (std::size_t k = 0; k < chunk.bytes.size(); ++k)
                    ASSERT_EQ(chunk.source, sources[at + k]) << "offset " << at + k;
                at += chunk.bytes.size();
            }
        }
    }
}

}  // namespace
}  // namespace berth::registry
