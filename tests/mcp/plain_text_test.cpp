#include "plain_text.hpp"

#include <random>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "utf8_page.hpp"

namespace berth::mcp {
namespace {

TEST(PlainText, LeavesPlainTextAlone) {
    EXPECT_EQ(plain_text(""), "");
    EXPECT_EQ(plain_text("hello\tworld\n"), "hello\tworld\n");
    // UTF-8 whose continuation bytes lie in the C1 range (0x80..0x9F): never eaten.
    const std::string utf8 = "\xE2\x82\xAC \xE2\x80\xBA \xE2\x9B\x94 \xC2\x9B \xF0\x9F\x98\x80";
    EXPECT_EQ(plain_text(utf8), utf8);
}

TEST(PlainText, StripsColoursFromLsOutput) {
    const std::string ls =
        "\x1b[0m\x1b[01;34mbin\x1b[0m  \x1b[01;32mrun.sh\x1b[0m  notes.txt  "
        "\x1b[38;5;208mlog\x1b[0m  \x1b[38:2::255:0:0mred\x1b[m\n";
    EXPECT_EQ(plain_text(ls), "bin  run.sh  notes.txt  log  red\n");
}

TEST(PlainText, StripsPrivateAndIntermediateCsi) {
    EXPECT_EQ(plain_text("\x1b[?1049h\x1b[?25l\x1b[>4;1m\x1b[=1c\x1b[<0;1;2Mx\x1b[ q\x1b[!py"),
              "xy");
}

TEST(PlainText, StripsOscEndedByBelOrSt) {
    EXPECT_EQ(plain_text("\x1b]0;user@host: ~\x07$ ls\n"), "$ ls\n");
    EXPECT_EQ(plain_text("\x1b]2;title \xC3\xA9\x1b\\prompt"), "prompt");
    EXPECT_EQ(plain_text("see \x1b]8;;https://example.com\x1b\\the docs\x1b]8;;\x1b\\."),
              "see the docs.");
}

TEST(PlainText, StripsDcsSosPmApc) {
    EXPECT_EQ(plain_text("a\x1bP1$r0m\x1b\\b"), "ab");
    EXPECT_EQ(plain_text("a\x1bPq#0;2;0;0;0#1!14~-\x07still dcs\x1b\\b"), "ab")
        << "BEL ends only OSC";
    EXPECT_EQ(plain_text("x\x1b_Gf=100;AAAA\x1b\\y\x1b^pm\x1b\\z\x1bXsos\x1b\\!"), "xyz!");
}

TEST(PlainText, StripsTwoByteAndCharsetSequences) {
    EXPECT_EQ(plain_text("\x1b"
                         "7a\x1b"
                         "8\x1b=b\x1b>\x1bMc\x1b(B\x1b)B\x1b*A\x1b+B\x1b%G\x1b#8d"),
              "abcd");
}

TEST(PlainText, DrawsDecLineDrawingLikeATerminal) {
    EXPECT_EQ(plain_text("\x1b(0lqqk\x1b(B ok\n\x1b(0x\x1b(B  \x1b(0x\x1b(B\n"),
              "\xE2\x94\x8C\xE2\x94\x80\xE2\x94\x80\xE2\x94\x90 ok\n"
              "\xE2\x94\x82  \xE2\x94\x82\n");
    // G1 through SO/SI; SO and SI themselves leave nothing.
    EXPECT_EQ(plain_text("\x1b)0\x0eq\x0fq"), "\xE2\x94\x80q");
    // A reset (ESC c) goes back to ASCII.
    EXPECT_EQ(plain_text("\x1b(0q\x1b"
                         "cq"),
              "\xE2\x94\x80q");
}

TEST(PlainText, DropsControlsButNewlineAndTab) {
    using namespace std::string_literals;
    EXPECT_EQ(plain_text("a\0b\x07"
                         "c\x0b"
                         "d\x0c"
                         "e\tf\x7fg\x1c"s),
              "abcde\tfg");
}

TEST(PlainText, CarriageReturnLineFeedIsANewline) {
    EXPECT_EQ(plain_text("one\r\ntwo\r\n\r\nthree"), "one\ntwo\n\nthree");
    EXPECT_EQ(plain_text("kept\r\r\n"), "kept\n");
}

TEST(PlainText, TextAfterABareCarriageReturnReplacesTheLine) {
    EXPECT_EQ(plain_text("a\rb"), "b");  // printf 'a\rb'
    EXPECT_EQ(plain_text("abc\rx\n"), "x\n") << "no overstrike merging, by design";
    EXPECT_EQ(plain_text("kept\r"), "kept") << "nothing overwrote it";
    EXPECT_EQ(plain_text("first\nsecond\rSECOND\nthird"), "first\nSECOND\nthird");
}

TEST(PlainText, KeepsTheLastStateOfProgressLines) {
    const std::string curl =
        "  % Total    % Received\n"
        "\r  0  1024    0     0\r 37  1024   37   384\r100  1024  100  1024\n";
    EXPECT_EQ(plain_text(curl), "  % Total    % Received\n100  1024  100  1024\n");

    std::string pip = "Downloading pkg.whl\n";
    for (int pct = 0; pct <= 100; pct += 10) {
        pip += "\r\x1b[K   " + std::to_string(pct) + "% |\x1b[32m####\x1b[0m|";
    }
    pip += "\nInstalled\n";
    EXPECT_EQ(plain_text(pip), "Downloading pkg.whl\n   100% |####|\nInstalled\n");

    // A spinner that erases itself when done leaves an empty line.
    EXPECT_EQ(plain_text("\x1b[?25l-\r\x1b[K\\\r\x1b[K|\r\x1b[Kdone\r\x1b[2K\x1b[?25h\n$ "),
              "\n$ ");
    // Cursor to column 1 (ESC [ G) works like a bare CR.
    EXPECT_EQ(plain_text("\x1b[2K\x1b[1G 10%\x1b[2K\x1b[1G 90%\x1b[2K\x1b[G100%\n"), "100%\n");
}

TEST(PlainText, BackspaceDeletesTheCharacterBefore) {
    EXPECT_EQ(plain_text("abc\b\bX"), "aX");
    EXPECT_EQ(plain_text("ab\b \b"), "a");  // the shell's erase
    EXPECT_EQ(plain_text("n\xC3\xA9\bX"), "nX");
    EXPECT_EQ(plain_text("x\xF0\x9F\x98\x80\b!"), "x!");
    EXPECT_EQ(plain_text("\xE2\x94\x80\b\x1b(0q\b\x1b(B="), "=");
    EXPECT_EQ(plain_text("a\n\b\bb"), "a\nb") << "never past a newline";
    EXPECT_EQ(plain_text("abc\r\bX"), "X") << "at column 0 after a bare CR";
    // Invalid bytes go one at a time.
    EXPECT_EQ(plain_text("a\x80\x80\b"), "a\x80");
}

TEST(PlainText, DropsASequenceCutAtTheEnd) {
    EXPECT_EQ(plain_text("text\x1b"), "text");
    EXPECT_EQ(plain_text("text\x1b[3"), "text");
    EXPECT_EQ(plain_text("text\x1b[?10"), "text");
    EXPECT_EQ(plain_text("text\x1b]0;unterminated title"), "text");
    EXPECT_EQ(plain_text("text\x1b]0;title\x1b"), "text");
    EXPECT_EQ(plain_text("text\x1bP"), "text");
    EXPECT_EQ(plain_text("text\x1b("), "text");
}

TEST(PlainText, BehavesLikeATerminalOnBrokenSequences) {
    EXPECT_EQ(plain_text("\x1b[31\x18x"), "x") << "CAN aborts";
    EXPECT_EQ(plain_text("\x1b]0;t\x1a"
                         "y"),
              "y")
        << "SUB aborts, even a string";
    EXPECT_EQ(plain_text("\x1b[31\x1b[0mx"), "x") << "ESC starts over";
    EXPECT_EQ(plain_text("a\x1b[1\n2mb"), "a\nb") << "a control inside CSI is carried out";
    EXPECT_EQ(plain_text("\x1b[1\xC3\xA9"), "\xC3\xA9") << "UTF-8 is never part of a sequence";
    EXPECT_EQ(plain_text("\x1b\xC3\xA9"), "\xC3\xA9");
    EXPECT_EQ(plain_text("\x1b]0;a\x1bx"), "") << "ESC ends a string; ESC x is a 2-byte form";
}

TEST(PlainText, SurvivesArbitraryBytes) {
    static constexpr std::string_view k_alphabet[] = {"\x1b",
                                                      "[",
                                                      "]",
                                                      "P",
                                                      "_",
                                                      "(",
                                                      "0",
                                                      "B",
                                                      "?",
                                                      "1",
                                                      ";",
                                                      "m",
                                                      "K",
                                                      "G",
                                                      "\x07",
                                                      "\x1b\\",
                                                      "\r",
                                                      "\n",
                                                      "\r\n",
                                                      "\b",
                                                      "\t",
                                                      "\x0e",
                                                      "\x0f",
                                                      "\x18",
                                                      "\x1a",
                                                      "a",
                                                      " ",
                                                      "\xC3\xA9",
                                                      "\xE2\x82\xAC",
                                                      "\xF0\x9F\x98\x80",
                                                      "\x80",
                                                      "\x9b",
                                                      "\xFF",
                                                      "\xE2"};
    std::mt19937 rng(1234);
    for (int round = 0; round < 3000; ++round) {
        std::string raw;
        const std::size_t pieces = rng() % 200;
        for (std::size_t i = 0; i < pieces; ++i) {
            if (rng() % 8 == 0) {
                raw += static_cast<char>(rng());
            } else {
                raw += k_alphabet[rng() % std::size(k_alphabet)];
            }
        }
        const std::string out = plain_text(raw);
        EXPECT_LE(out.size(), raw.size() * 3) << "only line-drawing grows, 1 byte to 3";
        if (is_valid_utf8(raw)) {
            ASSERT_TRUE(is_valid_utf8(out)) << "valid in, valid out";
        }
        ASSERT_EQ(out.find('\x1b'), std::string::npos);
        ASSERT_EQ(out.find('\r'), std::string::npos);
    }
}

}  // namespace
}  // namespace berth::mcp
