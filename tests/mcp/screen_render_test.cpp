#include "screen_render.hpp"

#include <random>
#include <stdexcept>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "utf8_page.hpp"

namespace berth::mcp {
namespace {

TEST(ScreenRenderer, StartsBlank) {
    const screen_renderer screen(24, 80);
    const screen_snapshot snap = screen.snapshot();
    EXPECT_EQ(snap.rows, 24);
    EXPECT_EQ(snap.cols, 80);
    ASSERT_EQ(snap.lines.size(), 24U);
    for (const auto& line : snap.lines) EXPECT_EQ(line, "");
    EXPECT_EQ(snap.cursor_row, 0);
    EXPECT_EQ(snap.cursor_col, 0);
    EXPECT_FALSE(snap.alt_screen);
    EXPECT_EQ(screen.text(), "");
}

TEST(ScreenRenderer, CursorPositioningPlacesText) {
    screen_renderer screen(24, 80);
    screen.feed("hello\x1b[2;5Hworld");  // printf 'hello\x1b[2;5Hworld'
    const screen_snapshot snap = screen.snapshot();
    EXPECT_EQ(snap.lines[0], "hello");
    EXPECT_EQ(snap.lines[1], "    world");  // row 1, col 4 (0-based)
    EXPECT_EQ(snap.cursor_row, 1);
    EXPECT_EQ(snap.cursor_col, 9);
    EXPECT_EQ(screen.text(), "hello\n    world");
}

TEST(ScreenRenderer, ReportsTheCursor) {
    screen_renderer screen(24, 80);
    screen.feed("\x1b[5;10H");
    EXPECT_EQ(screen.snapshot().cursor_row, 4);
    EXPECT_EQ(screen.snapshot().cursor_col, 9);
    screen.feed("\r\n\n");
    EXPECT_EQ(screen.snapshot().cursor_row, 6);
    EXPECT_EQ(screen.snapshot().cursor_col, 0);
}

TEST(ScreenRenderer, ClearScreenForgetsWhatWasThere) {
    screen_renderer screen(24, 80);
    screen.feed("junk\r\nmore junk\r\n\x1b[2J\x1b[Hfresh");
    EXPECT_EQ(screen.text(), "fresh");
}

TEST(ScreenRenderer, AlternateScreenRestoresTheMainScreen) {
    screen_renderer screen(24, 80);
    screen.feed("$ vim notes\r\n");
    screen.feed("\x1b[?1049h\x1b[2J\x1b[Hfull screen\x1b[24;1H-- INSERT --");
    screen_snapshot snap = screen.snapshot();
    EXPECT_TRUE(snap.alt_screen);
    EXPECT_EQ(snap.lines[0], "full screen");
    EXPECT_EQ(snap.lines[23], "-- INSERT --");

    screen.feed("\x1b[?1049l$ ");
    snap = screen.snapshot();
    EXPECT_FALSE(snap.alt_screen);
    EXPECT_EQ(screen.text(), "$ vim notes\n$");  // the prompt's space is a trailing blank
    EXPECT_EQ(snap.cursor_row, 1);
    EXPECT_EQ(snap.cursor_col, 2);
}

TEST(ScreenRenderer, WideCharacterTakesTwoCellsButAppearsOnce) {
    screen_renderer screen(24, 80);
    screen.feed(
        "a\xE4\xB8\xAD"
        "b");  // a中b
    const screen_snapshot snap = screen.snapshot();
    EXPECT_EQ(snap.lines[0],
              "a\xE4\xB8\xAD"
              "b");
    EXPECT_EQ(snap.cursor_col, 4);
}

TEST(ScreenRenderer, CombiningCharacterFollowsItsBase) {
    screen_renderer screen(24, 80);
    screen.feed("e\xCC\x81x");  // e + COMBINING ACUTE ACCENT, x
    EXPECT_EQ(screen.snapshot().lines[0], "e\xCC\x81x");
    EXPECT_EQ(screen.snapshot().cursor_col, 2);
}

TEST(ScreenRenderer, LongLinesWrap) {
    screen_renderer screen(5, 10);
    screen.feed("abcdefghijklm");
    const screen_snapshot snap = screen.snapshot();
    EXPECT_EQ(snap.lines[0], "abcdefghij");
    EXPECT_EQ(snap.lines[1], "klm");
    EXPECT_EQ(snap.cursor_row, 1);
    EXPECT_EQ(snap.cursor_col, 3);
}

TEST(ScreenRenderer, RowsScrolledOffTheTopAreGone) {
    screen_renderer screen(3, 10);
    screen.feed("1\r\n2\r\n3\r\n4");
    EXPECT_EQ(screen.text(), "2\n3\n4");
}

TEST(ScreenRenderer, TrimsTrailingBlanksButKeepsInnerOnes) {
    screen_renderer screen(2, 20);
    screen.feed("a   b     \x1b[1;15H \x1b[41m  \x1b[0m");
    EXPECT_EQ(screen.snapshot().lines[0], "a   b");
}

TEST(ScreenRenderer, InputSplitAnywhereIsReassembled) {
    screen_renderer screen(2, 20);
    screen.feed("\xE4");
    screen.feed("\xB8\xAD");
    screen.feed("\x1b[3");
    screen.feed("1mX\x1b");
    screen.feed("[0m");
    EXPECT_EQ(screen.text(), "\xE4\xB8\xADX");
}

TEST(ScreenRenderer, DrawsDecLineDrawingLikeThePlainView) {
    screen_renderer screen(2, 20);
    screen.feed("\x1b(0lqk\x1b(B");
    EXPECT_EQ(screen.text(), "\xE2\x94\x8C\xE2\x94\x80\xE2\x94\x90");
}

TEST(ScreenRenderer, QueriesNeedNoReader) {
    screen_renderer screen(2, 20);
    std::string queries;
    for (int i = 0; i < 20000; ++i) queries += "\x1b[6n\x1b[c\x1b[>c";
    screen.feed(queries);
    screen.feed("ok");
    EXPECT_EQ(screen.text(), "ok");
}

TEST(ScreenRenderer, TracksTheAlternateScreenAfterAMove) {
    screen_renderer first(4, 10);
    screen_renderer moved(std::move(first));
    moved.feed("\x1b[?1049h");
    EXPECT_TRUE(moved.snapshot().alt_screen);
    screen_renderer assigned(2, 2);
    assigned = std::move(moved);
    assigned.feed("\x1b[?1049l");
    EXPECT_FALSE(assigned.snapshot().alt_screen);
    EXPECT_EQ(assigned.snapshot().rows, 4);
}

TEST(ScreenRenderer, RejectsAScreenTooSmallForAWideCharacter) {
    EXPECT_THROW(screen_renderer(0, 80), std::invalid_argument);
    EXPECT_THROW(screen_renderer(24, -1), std::invalid_argument);
    EXPECT_THROW(screen_renderer(24, 1), std::invalid_argument);
    screen_renderer narrow(1, 2);
    narrow.feed("\xF0\x9F\x98\x80\xE4\xB8\xAD");  // two wide characters
    EXPECT_EQ(narrow.text(), "\xE4\xB8\xAD");
}

// Each of these crashed or hung libvterm 0.1.4 before vterm_input_guard.
TEST(ScreenRenderer, SurvivesWhatBreaksLibvterm) {
    screen_renderer screen(24, 80);
    screen.feed("\x1b[b");                                // REP with nothing printed: endless loop
    screen.feed("\xE2\x80\x8B\x1b[5b");                   // REP after a zero-width character
    screen.feed("\x1b[" + std::string(2000, ';') + "m");  // past the argument array
    screen.feed("\x1b[" + std::string(2000, ':') + "m");
    screen.feed("\xC2\x80\xC2\x9B\xC2\x85");  // width -1 characters
    screen.feed("\x1b[99999999999999999999C\x1b[99999999999999999999;99999999999999999999H");
    screen.feed("\x1b[99999999999a\x1b[99999999999e\x1b[2147483647C\x1b[2147483647C");
    // A CSI libvterm starts after an escape's intermediates (terminal_text_fuzz): REP after a
    // zero-width character looped, and the guard let it through.
    screen.feed("\xE2\x80\x8B\x1b-[4b\x1b(-[99999999999C");
    const screen_snapshot snap = screen.snapshot();
    EXPECT_EQ(snap.cursor_row, 23);
    EXPECT_EQ(snap.cursor_col, 79);
    screen.feed("\x1b[Hok");
    EXPECT_EQ(screen.snapshot().lines[0], "ok");
}

TEST(ScreenRenderer, RepRepeatsTheLastCharacterUpToTheMargin) {
    screen_renderer screen(3, 10);
    screen.feed("ab\x1b[3b");
    EXPECT_EQ(screen.snapshot().lines[0], "abbbb");
    screen.feed("\r\n\xE2\x94\x80\x1b[200b");
    const screen_snapshot snap = screen.snapshot();
    std::string rule;
    for (int i = 0; i < 10; ++i) rule += "\xE2\x94\x80";
    EXPECT_EQ(snap.lines[1], rule);
    EXPECT_EQ(snap.lines[2], "") << "stops at the margin, no wrap";
}

TEST(ScreenRenderer, SurvivesArbitraryBytes) {
    // clang-format off
    static constexpr std::string_view k_alphabet[] = {
        "\x1b", "[", "]", "?", "1049", "h", "l", "1", ";", "m", "H", "J", "K", "r", "L",
        "M", "@", "P", "\x07", "\x1b\\", "\r", "\n", "\b", "\t", "a", " ", "\xC3\xA9",
        "\xE4\xB8\xAD", "\xCC\x81", "\xF0\x9F\x98\x80", "\x80", "\xFF", "\x1b(0", "9999",
        "b", ";;;;;;;;;;;;;;;;;;;;", "\xC2\x80", "\xE2\x80\x8B", "99999999999", "C", "S"};
    // clang-format on
    std::mt19937 rng(4321);
    for (int round = 0; round < 300; ++round) {
        screen_renderer screen(1 + static_cast<int>(rng() % 30), 2 + static_cast<int>(rng() % 89));
        std::string raw;
        const std::size_t pieces = rng() % 800;
        for (std::size_t i = 0; i < pieces; ++i) {
            if (rng() % 8 == 0) {
                raw += static_cast<char>(rng());
            } else {
                raw += k_alphabet[rng() % std::size(k_alphabet)];
            }
        }
        screen.feed(raw);
        const screen_snapshot snap = screen.snapshot();
        ASSERT_EQ(snap.lines.size(), static_cast<std::size_t>(snap.rows));
        for (const auto& line : snap.lines) ASSERT_TRUE(is_valid_utf8(line));
        ASSERT_GE(snap.cursor_row, 0);
        ASSERT_LT(snap.cursor_row, snap.rows);
        ASSERT_GE(snap.cursor_col, 0);
        ASSERT_LE(snap.cursor_col, snap.cols);
    }
}

}  // namespace
}  // namespace berth::mcp
