#include "utf8_page.hpp"

#include <cstddef>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace berth::mcp {
namespace {

// A string built from tokens whose character boundaries are known by construction: valid
// characters of 1 to 4 bytes are one unit each; invalid bytes are one unit per byte. A broken
// sequence is always followed by ASCII in its token, so no two tokens join into a character.
struct generated {
    std::string bytes;
    std::vector<bool> boundary;  // boundary[i]: a unit starts at i (or i == size)
};

generated generate(std::mt19937& rng, std::size_t tokens) {
    static const std::vector<std::string> k_chars = {"a",
                                                     "\n",
                                                     "\x7f",
                                                     "\xC3\xA9",
                                                     "\xDF\xBF",
                                                     "\xE2\x82\xAC",
                                                     "\xE4\xB8\xAD",
                                                     "\xED\x9F\xBF",
                                                     "\xEF\xBF\xBD",
                                                     "\xF0\x9F\x98\x80",
                                                     "\xF0\x9D\x84\x9E",
                                                     "\xF4\x8F\xBF\xBF"};
    static const std::vector<std::string> k_invalid = {
        "\x80",         "\xBF",         "\xC0\xAF",         "\xC1",
        "\xF5",         "\xFF",         "\xE2\x82X",        "\xF0\x9F\x98Y",
        "\xED\xA0\x80", "\xE0\x80\x80", "\xF4\x90\x80\x80", "\xC3Z"};
    generated g;
    for (std::size_t t = 0; t < tokens; ++t) {
        const bool invalid = rng() % 4 == 0;
        const auto& pool = invalid ? k_invalid : k_chars;
        const std::string& token = pool[rng() % pool.size()];
        for (std::size_t i = 0; i < token.size(); ++i) g.boundary.push_back(i == 0 || invalid);
        g.bytes += token;
    }
    g.boundary.push_back(true);
    return g;
}

TEST(Utf8SafeCut, IsTheLargestBoundaryAtOrBelowMaxOnMixedInput) {
    std::mt19937 rng(20240611);
    for (int round = 0; round < 300; ++round) {
        const generated g = generate(rng, 1 + rng() % 40);
        for (std::size_t max = 0; max <= g.bytes.size() + 2; ++max) {
            std::size_t expected = std::min(max, g.bytes.size());
            while (!g.boundary[expected]) --expected;
            ASSERT_EQ(utf8_safe_cut(g.bytes, max), expected)
                << "max " << max << " in " << nlohmann::json(to_valid_utf8(g.bytes)).dump();
        }
    }
}

TEST(Utf8SafeCut, EveryPrefixOfValidTextIsValid) {
    const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z \xE4\xB8\xAD\xF4\x8F\xBF\xBF!";
    ASSERT_TRUE(is_valid_utf8(text));
    for (std::size_t max = 0; max <= text.size(); ++max) {
        const std::size_t n = utf8_safe_cut(text, max);
        EXPECT_LE(n, max);
        EXPECT_GE(n + 3, max) << "looks back at most 3 bytes";
        EXPECT_TRUE(is_valid_utf8(text.substr(0, n))) << "max " << max;
    }
}

TEST(Utf8SafeCut, PagesConcatenateToTheInputWithNothingLost) {
    std::mt19937 rng(7);
    for (int round = 0; round < 100; ++round) {
        const generated g = generate(rng, 200);
        for (std::size_t page = 4; page <= 11; ++page) {
            std::string joined;
            std::size_t offset = 0;
            while (offset < g.bytes.size()) {
                const std::string_view rest = std::string_view(g.bytes).substr(offset);
                const std::size_t n = utf8_safe_cut(rest, page);
                ASSERT_GT(n, 0U) << "a page of 4 or more bytes always makes progress";
                ASSERT_LE(n, page);
                // Pages of valid text are valid text, and no page starts mid-character.
                ASSERT_TRUE(g.boundary[offset + n]);
                joined.append(rest.substr(0, n));
                offset += n;
            }
            ASSERT_EQ(joined, g.bytes);
        }
    }
}

TEST(Utf8SafeCut, FirstCharacterLongerThanMaxGivesZero) {
    EXPECT_EQ(utf8_safe_cut("\xF0\x9F\x98\x80x", 3), 0U);
    EXPECT_EQ(utf8_safe_cut("\xF0\x9F\x98\x80x", 4), 4U);
    EXPECT_EQ(utf8_safe_cut("\xC3\xA9", 1), 0U);
    EXPECT_EQ(utf8_safe_cut("", 0), 0U);
    EXPECT_EQ(utf8_safe_cut("abc", 0), 0U);
}

TEST(Utf8SafeCut, InvalidBytesAreSingleUnits) {
    EXPECT_EQ(utf8_safe_cut("\xFF\xFE\xFD", 1), 1U);
    EXPECT_EQ(utf8_safe_cut("\x80\x80\x80\x80\x80", 2), 2U);  // stray continuations
    EXPECT_EQ(utf8_safe_cut("\xC0\xAF", 1), 1U);              // overlong '/'
    EXPECT_EQ(utf8_safe_cut("\xED\xA0\x80", 1), 1U);          // a surrogate
    EXPECT_EQ(utf8_safe_cut("\xE2\x82X", 2), 2U);             // broken by what follows
    EXPECT_EQ(utf8_safe_cut("\xE2\x82\xAC\x80\x80\x80\x80", 5), 5U);
}

TEST(Utf8SafeCut, SequenceTruncatedByTheEndOfInputIsNotSplit) {
    // More bytes may yet complete it: a cut inside it would split it.
    EXPECT_EQ(utf8_safe_cut("ab\xE2\x82", 3), 2U);
    // max past the end: the whole input, the tail included (the caller's decision).
    EXPECT_EQ(utf8_safe_cut("ab\xE2\x82", 4), 4U);
    EXPECT_EQ(utf8_safe_cut("ab\xE2\x82", 100), 4U);
}

TEST(Utf8IncompleteTail, CountsOnlyAValidUnfinishedSequence) {
    EXPECT_EQ(utf8_incomplete_tail(""), 0U);
    EXPECT_EQ(utf8_incomplete_tail("abc"), 0U);
    EXPECT_EQ(utf8_incomplete_tail("ab\xE2\x82\xAC"), 0U);
    EXPECT_EQ(utf8_incomplete_tail("ab\xE2"), 1U);
    EXPECT_EQ(utf8_incomplete_tail("ab\xE2\x82"), 2U);
    EXPECT_EQ(utf8_incomplete_tail("\xF0\x9F\x98"), 3U);
    EXPECT_EQ(utf8_incomplete_tail("\xE2\x28"), 0U);  // cannot become valid
    EXPECT_EQ(utf8_incomplete_tail("\xED\xA0"), 0U);  // would be a surrogate
    EXPECT_EQ(utf8_incomplete_tail("\x80\x80"), 0U);
    EXPECT_EQ(utf8_incomplete_tail("\xFF"), 0U);
}

TEST(IsValidUtf8, FollowsRfc3629) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii that is longer than eight bytes"));
    EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
    EXPECT_FALSE(is_valid_utf8("\xC0\x80"));          // overlong NUL
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xED\xB0\x80"));      // surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
    EXPECT_FALSE(is_valid_utf8("\xE2\x82"));  // truncated
    EXPECT_FALSE(is_valid_utf8("\x80"));
    // One bad byte behind the eight-at-a-time ASCII scan, and in its tail.
    EXPECT_FALSE(
        is_valid_utf8("0123456789abcdef\xFF"
                      "0123"));
    EXPECT_FALSE(is_valid_utf8("0123456789abcdefgh\xFF"));
}

TEST(ToValidUtf8, ReplacesEachInvalidByte) {
    EXPECT_EQ(to_valid_utf8("a\xFF"
                            "b"),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(to_valid_utf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(to_valid_utf8("x\xC0\xAFy"), "x\xEF\xBF\xBD\xEF\xBF\xBDy");
    const std::string valid = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
    EXPECT_EQ(to_valid_utf8(valid), valid);
    EXPECT_EQ(to_valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(ToValidUtf8, AnyBytesBecomeSomethingAJsonWriterAccepts) {
    std::mt19937 rng(99);
    for (int round = 0; round < 500; ++round) {
        std::string bytes(rng() % 300, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        const std::string fixed = to_valid_utf8(bytes);
        ASSERT_TRUE(is_valid_utf8(fixed));
        EXPECT_NO_THROW((void)nlohmann::json(fixed).dump());
        if (!is_valid_utf8(bytes)) {  // the case this exists for
            EXPECT_THROW((void)nlohmann::json(bytes).dump(), nlohmann::json::type_error);
        }
    }
}

}  // namespace
}  // namespace berth::mcp
