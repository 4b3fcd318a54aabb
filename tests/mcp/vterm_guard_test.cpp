#include "vterm_guard.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace berth::mcp {
namespace {

// Records what the guard passes on; a REP shows as "<REP n x>".
class recording_sink final : public vterm_input_guard::sink {
public:
    void write(std::string_view bytes) override { seen.append(bytes); }
    void repeat(std::string_view character, int count) override {
        seen += "<REP " + std::to_string(count) + " " + std::string(character) + ">";
    }
    std::string seen;
};

std::string guard(std::vector<std::string_view> pieces) {
    vterm_input_guard g;
    recording_sink sink;
    for (const auto piece : pieces) g.feed(piece, sink);
    return sink.seen;
}

std::string guard(std::string_view bytes) { return guard(std::vector<std::string_view>{bytes}); }

TEST(VtermInputGuard, PassesOrdinaryOutputUnchanged) {
    const std::string ordinary =
        "\x1b[0m\x1b[1;34mbin\x1b[0m \x1b[?1049h\x1b[2J\x1b[H\x1b[38:2::255:0:0mx\x1b(0q\x1b(B"
        "\x1b]0;t\xC3\xA9tle\x07\x1bP1$r0m\x1b\\\x1b"
        "7\x1b"
        "8\r\n\t\b\x07 caf\xC3\xA9 "
        "\xE4\xB8\xAD \xF0\x9F\x98\x80 \x1b[>4;1m\x1b[ q";
    EXPECT_EQ(guard(ordinary), ordinary);  // (leading zeros would go: "01" is passed as "1")
}

TEST(VtermInputGuard, ClampsHugeParameters) {
    EXPECT_EQ(guard("\x1b[99999999999999999999C"), "\x1b[9999C");
    EXPECT_EQ(guard("\x1b[2147483647;10000H"), "\x1b[9999;9999H");
    EXPECT_EQ(guard("\x1b[9999;0099H"), "\x1b[9999;99H");
}

TEST(VtermInputGuard, KeepsAtMostSixteenParameters) {
    std::string many = "\x1b[";
    for (int i = 1; i <= 40; ++i) many += std::to_string(i) + ";";
    many += "m";
    std::string kept = "\x1b[";
    for (int i = 1; i <= 16; ++i) kept += std::to_string(i) + (i < 16 ? ";" : "");
    kept += "m";
    EXPECT_EQ(guard(many), kept);
    EXPECT_EQ(guard("\x1b[" + std::string(2000, ':') + "m"), "\x1b[" + std::string(15, ':') + "m");
}

TEST(VtermInputGuard, CapsPrivateMarkersAndIntermediates) {
    EXPECT_EQ(guard("\x1b[????????1h"), "\x1b[??1h");
    EXPECT_EQ(guard("\x1b[1$$$$$$p"), "\x1b[1$$p");
    EXPECT_EQ(guard("\x1b((((((B"), "\x1b((B");
}

TEST(VtermInputGuard, TurnsRepIntoARequestToRepeatTheLastCharacter) {
    EXPECT_EQ(guard("ab\x1b[3b"), "ab<REP 3 b>");
    EXPECT_EQ(guard("\xE2\x94\x80\x1b[b"), "\xE2\x94\x80<REP 1 \xE2\x94\x80>");
    EXPECT_EQ(guard("x\x1b[0b"), "x<REP 1 x>");
    EXPECT_EQ(guard("x\x1b[99999999b"), "x<REP 9999 x>");
    EXPECT_EQ(guard("x\x1b[31m\x1b[2b"), "x\x1b[31m<REP 2 x>") << "across other sequences";
    EXPECT_EQ(guard("\x1b[5b"), "") << "nothing printed yet: nothing to repeat";
    EXPECT_EQ(guard("\x1b]0;title\x07\x1b[5b"), "\x1b]0;title\x07") << "a title is not printed";
    EXPECT_EQ(guard("x\x1b[?5b"), "x\x1b[?5b") << "not REP";
}

TEST(VtermInputGuard, CleansText) {
    EXPECT_EQ(guard("a\xC2\x80\xC2\x9B"
                    "b\xC2\xA0"),
              "ab\xC2\xA0")
        << "C1 as UTF-8 dropped";
    EXPECT_EQ(guard("a\xFF"
                    "b"),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(guard("\xE2\x82X"), "\xEF\xBF\xBD\xEF\xBF\xBDX");
    EXPECT_EQ(guard("\xE2\xC3\xA9"), "\xEF\xBF\xBD\xC3\xA9");
    EXPECT_EQ(guard("\xE0\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "overlong";
    EXPECT_EQ(guard("\x9b"
                    "5C"),
              "\xEF\xBF\xBD"
              "5C")
        << "no 8-bit CSI";
}

TEST(VtermInputGuard, DropsASequenceBrokenByText) {
    EXPECT_EQ(guard("\x1b[31\xC3\xA9"), "\xC3\xA9");
    EXPECT_EQ(guard("\x1b(\xC3\xA9"), "\xC3\xA9");
    EXPECT_EQ(guard("\x1b[31\x18x"), "x");
    EXPECT_EQ(guard("\x1b[31\x1b[0m"), "\x1b[0m");
    EXPECT_EQ(guard("\x1b[3\n1m"), "\n\x1b[31m") << "a control inside is carried out first";
}

// libvterm 0.1.4 starts a CSI at "[" after an escape's intermediates too, so the guard must
// filter it (terminal_text_fuzz: "ESC - [ 4 b" after U+200B hung libvterm).
TEST(VtermInputGuard, FiltersACsiStartedAfterIntermediates) {
    EXPECT_EQ(guard("y\x1b-[4b"), "y<REP 4 y>");
    EXPECT_EQ(guard("\x1b(-[99999999999C"), "\x1b[9999C");
    EXPECT_EQ(guard("\x1b-]0;t\x07x"), "\x1b-]0;t\x07x") << "a string after intermediates";
}

TEST(VtermInputGuard, ReassemblesWhatFeedsSplit) {
    EXPECT_EQ(guard({"\x1b", "[", "9999", "9999", "C"}), "\x1b[9999C");
    EXPECT_EQ(guard({"\xE4", "\xB8", "\xAD"}), "\xE4\xB8\xAD");
    EXPECT_EQ(guard({"\xC2", "\x80", "x"}), "x");
    EXPECT_EQ(guard({"y", "\x1b[", "4", "b"}), "y<REP 4 y>");
}

}  // namespace
}  // namespace berth::mcp
