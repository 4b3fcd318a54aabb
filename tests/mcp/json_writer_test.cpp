// berth mcp's JSON writer: the same text as nlohmann's dump for valid UTF-8, and for a
// terminal's invalid bytes a JSON text that parses, never an exception.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "json_writer.hpp"

namespace berth::mcp {
namespace {
using json = nlohmann::json;

TEST(McpJsonWriter, MatchesNlohmannOnValidText) {
    const std::string samples[] = {"",
                                   "plain",
                                   "quote \" backslash \\ slash /",
                                   "\n\r\t\b\f",
                                   std::string("nul \0 and \x1f and \x7f", 17),
                                   "é ü € 漢字 😀 \u200b",
                                   "\x1b[31mred\x1b[0m"};
    for (const auto& s : samples) {
        const json doc = {{"s", s},
                          {"n", 42},
                          {"neg", -7},
                          {"f", 1.5},
                          {"b", true},
                          {"z", nullptr},
                          {"a", json::array({s, 1, json::object()})}};
        EXPECT_EQ(to_json_text(doc), doc.dump()) << s;
    }
}

TEST(McpJsonWriter, RandomValidUtf8MatchesAndInvalidBytesStillParse) {
    std::mt19937 gen(7);
    for (int round = 0; round < 2000; ++round) {
        std::string s;
        const int n = static_cast<int>(gen() % 40);
        for (int i = 0; i < n; ++i) s += static_cast<char>(gen() % 256);
        const json doc = {{"output", s}};
        const std::string text = to_json_text(doc);
        const json back = json::parse(text, nullptr, false);
        ASSERT_FALSE(back.is_discarded()) << text;
        bool valid = true;
        try {
            (void)json(s).dump();
        } catch (const json::type_error&) {
            valid = false;
        }
        if (valid) {
            EXPECT_EQ(back["output"], s);
        } else {
            EXPECT_NE(back["output"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
        }
    }
}

TEST(McpJsonWriter, OverlongsSurrogatesAndTruncatedSequencesAreReplaced) {
    for (const std::string bad :
         {"\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\xFF",
          "a\x80"
          "b"}) {
        const json back = json::parse(to_json_text(json(bad)), nullptr, false);
        ASSERT_FALSE(back.is_discarded());
        EXPECT_NE(back.get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
    }
}

}  // namespace
}  // namespace berth::mcp
