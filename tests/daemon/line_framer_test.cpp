#include "line_framer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::daemon {
namespace {

std::vector<std::string> drain(line_framer& f) {
    std::vector<std::string> out;
    while (auto frame = f.next()) out.push_back(frame->too_long ? "<too long>" : frame->line);
    return out;
}

TEST(LineFramer, SplitsLinesAcrossReads) {
    line_framer f(100);
    f.feed("ab");
    EXPECT_TRUE(f.partial());
    EXPECT_FALSE(f.ready());
    f.feed("c\nde\n\nf");
    EXPECT_EQ(drain(f), (std::vector<std::string>{"abc", "de", ""}));
    EXPECT_TRUE(f.partial());
    EXPECT_EQ(f.buffered(), 1u);
    f.finish();
    EXPECT_EQ(drain(f), (std::vector<std::string>{"f"}));
    EXPECT_FALSE(f.partial());
}

TEST(LineFramer, AnOverLongLineIsSkippedAndReportedInItsPlace) {
    line_framer f(8);
    f.feed("ok\n");
    f.feed(std::string(5, 'x'));
    f.feed(std::string(1000, 'y'));
    EXPECT_TRUE(f.partial());
    EXPECT_EQ(f.buffered(), 2u) << "only \"ok\" is held: the over-long line's bytes are not";
    f.feed("yyy\nafter\n12345678\n123456789\nlast");
    EXPECT_EQ(drain(f),
              (std::vector<std::string>{"ok", "<too long>", "after", "12345678", "<too long>"}));
    f.finish();
    EXPECT_EQ(drain(f), (std::vector<std::string>{"last"}));
}

TEST(LineFramer, HoldsAtMostOneLineOfAPartialRequest) {
    line_framer f(1 << 20);
    for (int i = 0; i < 100; ++i) f.feed(std::string(64 * 1024, 'z'));
    EXPECT_TRUE(f.partial());
    EXPECT_EQ(f.buffered(), 0u);
    f.feed("\n");
    EXPECT_EQ(drain(f), (std::vector<std::string>{"<too long>"}));
}

// A connection that turns into a session.stream takes back the bytes after its request
// exactly as they came, binary and all.
TEST(LineFramer, TakeRestGivesBackTheBytesAsTheyCame) {
    line_framer f(100);
    const std::string after(
        "\x10\0\0\0\0\0\0\x03"
        "a\nb\n\x11",
        13);
    f.feed("{\"request\":1}\n" + after);
    ASSERT_EQ(f.next()->line, "{\"request\":1}");
    EXPECT_EQ(f.take_rest(), after);
    EXPECT_EQ(f.buffered(), 0U);
    EXPECT_FALSE(f.ready());
    EXPECT_FALSE(f.partial());
    // A line over the limit lost its bytes: there is no exact rest.
    f.feed(std::string(150, 'x') + "\nabc");
    EXPECT_EQ(f.take_rest(), std::nullopt);
}

}  // namespace
}  // namespace berth::daemon
