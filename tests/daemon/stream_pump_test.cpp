// clamp_read (stream_pump.hpp): a non-follow stream sends nothing past its request's
// end_offset, also when the buffer wrapped since and a read starts after a gap.
#include <gtest/gtest.h>

#include "stream_pump.hpp"

namespace berth::daemon {
namespace {

registry::read_result result(std::uint64_t dropped, std::vector<std::string> chunks,
                             std::uint64_t next) {
    registry::read_result r;
    r.dropped = dropped;
    for (auto& c : chunks) r.chunks.push_back({registry::stream::out, std::move(c)});
    r.next_cursor = next;
    return r;
}

TEST(ClampRead, AReadWithinTheEndIsUnchanged) {
    auto r = result(0, {"abc", "de"}, 105);
    clamp_read(r, 100, 110);
    EXPECT_EQ(r.joined(), "abcde");
    EXPECT_EQ(r.dropped, 0U);
    EXPECT_EQ(r.next_cursor, 105U);
}

TEST(ClampRead, BytesAfterAGapStopAtTheEnd) {
    // From 100, end 110: 6 bytes dropped, then 8 read from 106 on; only 4 were there at 110.
    auto r = result(6, {"abc", "defgh"}, 114);
    clamp_read(r, 100, 110);
    EXPECT_EQ(r.dropped, 6U);
    EXPECT_EQ(r.joined(), "abcd");
    ASSERT_EQ(r.chunks.size(), 2U);
    EXPECT_EQ(r.next_cursor, 110U);
}

TEST(ClampRead, AGapPastTheEndIsCutAtTheEnd) {
    auto r = result(50, {"abc"}, 153);
    clamp_read(r, 100, 110);
    EXPECT_EQ(r.dropped, 10U);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.next_cursor, 110U);
}

TEST(ClampRead, NothingAtOrPastTheEnd) {
    auto r = result(0, {"abc"}, 113);
    clamp_read(r, 110, 110);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.dropped, 0U);
    EXPECT_EQ(r.next_cursor, 110U);
}

}  // namespace
}  // namespace berth::daemon
