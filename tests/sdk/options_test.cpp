#include <gtest/gtest.h>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

namespace berth::sdk {
namespace {

constexpr const char* k_schema = R"({
  "type": "object", "additionalProperties": false, "required": ["image"],
  "properties": {
    "image": {"type": "string"},
    "tty": {"type": "boolean"},
    "pull": {"type": "string", "enum": ["never", "missing", "always"]},
    "cpus": {"type": "number", "minimum": 0.1},
    "ports": {"type": "array", "items": {"type": "string"}},
    "env": {"type": "object", "additionalProperties": {"type": "string"}},
    "rows": {"type": "integer", "maximum": 500}
  }})";

TEST(OptionsSchema, AcceptsValidOptions) {
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","tty":true,"cpus":1.5,"ports":["80:80"],
                                              "env":{"A":"b"},"rows":40,"pull":"never"})"),
              "");
}

TEST(OptionsSchema, NamesTheProblem) {
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","bogus":1})"),
              "unknown option 'bogus' (accepted: cpus, env, image, ports, pull, rows, tty)");
    EXPECT_EQ(validate_options(k_schema, R"({})"), "missing required option 'image'");
    EXPECT_EQ(validate_options(k_schema, R"({"image":1})"),
              "option 'image' must be a string, got an integer");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","pull":"sometimes"})"),
              R"(option 'pull' must be one of ["never","missing","always"], got "sometimes")");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","cpus":0})"),
              "option 'cpus' must be at least 0.1, got 0");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","rows":501})"),
              "option 'rows' must be at most 500, got 501");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","ports":["a",2]})"),
              "option 'ports[1]' must be a string, got an integer");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","env":{"A":true}})"),
              "option 'env.A' must be a string, got a boolean");
    EXPECT_EQ(validate_options(k_schema, "{not json").rfind("options are not valid JSON", 0), 0U);
    EXPECT_EQ(validate_options("{}", "{}"),
              "the plugin's options schema is broken: it has no 'properties' object");
}

TEST(SessionOptions, TypedAccess) {
    const session_options o(
        k_schema, R"({"image":"x","tty":true,"ports":["1","2"],"env":{"A":"b"},"rows":7})");
    EXPECT_EQ(o.string("image"), "x");
    EXPECT_TRUE(o.flag("tty"));
    EXPECT_FALSE(o.flag("missing"));
    EXPECT_EQ(o.strings("ports"), (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(o.string_map("env").at("A"), "b");
    EXPECT_EQ(o.integer("rows"), 7);
    EXPECT_FALSE(o.integer("image"));
    EXPECT_FALSE(o.has("pull"));
}

TEST(SessionOptions, ThrowsInvalidArgument) {
    try {
        session_options o(k_schema, R"({"tty":true})");
        FAIL();
    } catch (const error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_INVALID_ARGUMENT);
        EXPECT_STREQ(e.what(), "missing required option 'image'");
    }
}

// A NUL ends a C string: in an argv, an environment entry or a path it would cut the value
// short without a word. The validator refuses it in every string, naming the option.
TEST(OptionsSchema, RefusesNulBytesNamingTheOption) {
    EXPECT_EQ(validate_options(k_schema, R"({"image":"bus\u0000ybox"})"),
              R"(option 'image' value "bus\u0000ybox" contains a NUL byte)");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","env":{"A":"b\u0000c"}})"),
              R"(option 'env.A' value "b\u0000c" contains a NUL byte)");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","env":{"A\u0000B":"c"}})"),
              R"(option 'env' has the name "A\u0000B", which contains a NUL byte)");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","ports":["80:80","8\u00001:81"]})"),
              R"(option 'ports[1]' value "8\u00001:81" contains a NUL byte)");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","pull":"never\u0000"})"),
              R"(option 'pull' must be one of ["never","missing","always"], got "never\u0000")");
    // A lone NUL, and one at the very end, count too.
    EXPECT_EQ(validate_options(k_schema, R"({"image":"\u0000"})"),
              R"(option 'image' value "\u0000" contains a NUL byte)");
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","env":{"A":"b\u0000"}})"),
              R"(option 'env.A' value "b\u0000" contains a NUL byte)");
}

TEST(OptionsSchema, RefusesNulBytesAlsoWhereTheSchemaDoesNotLook) {
    // An open schema: options it does not list still reach the plugin.
    constexpr const char* open_schema = R"({"type":"object","properties":{
        "command":{"type":"array"},"extra":{"type":"object"}}})";
    EXPECT_EQ(validate_options(open_schema, R"({"other":"a\u0000b"})"),
              R"(option 'other' value "a\u0000b" contains a NUL byte)");
    EXPECT_EQ(validate_options(open_schema, R"({"o\u0000ther":1})"),
              R"(option "o\u0000ther" contains a NUL byte in its name)");
    // No "items" and no "additionalProperties" schema: the strings inside are checked anyway.
    EXPECT_EQ(validate_options(open_schema, R"({"command":["ls",["-l","\u0000"]]})"),
              R"(option 'command[1][1]' value "\u0000" contains a NUL byte)");
    EXPECT_EQ(validate_options(open_schema, R"({"extra":{"a":{"b":"c\u0000"}}})"),
              R"(option 'extra.a.b' value "c\u0000" contains a NUL byte)");
    // A closed schema names an unknown option as before; a NUL in the name is named first.
    EXPECT_EQ(validate_options(k_schema, R"({"image":"x","b\u0000gus":1})"),
              R"(option "b\u0000gus" contains a NUL byte in its name)");
    EXPECT_EQ(validate_options(open_schema, R"({"command":["ls","-l"],"extra":{"a":[1,"x"]}})"),
              "");
}

TEST(OptionsSchema, EchoesAtMostAShortPartOfALongValue) {
    const std::string long_value = std::string(1000, 'a') + "\\u0000" + std::string(1000, 'b');
    const std::string problem = validate_options(k_schema, R"({"image":")" + long_value + R"("})");
    EXPECT_EQ(problem.rfind("option 'image' value \"...", 0), 0U) << problem;
    EXPECT_NE(problem.find("aaa\\u0000bbb"), std::string::npos) << problem;  // around the NUL
    EXPECT_NE(problem.find("...\" contains a NUL byte"), std::string::npos) << problem;
    EXPECT_LE(problem.size(), 120U) << problem;

    // All NULs: each escapes to six characters, the echo stays short anyway.
    std::string nuls;
    for (int i = 0; i < 500; ++i) nuls += "\\u0000";
    const std::string all = validate_options(k_schema, R"({"image":")" + nuls + R"("})");
    EXPECT_EQ(all.rfind("option 'image' value \"\\u0000", 0), 0U) << all;
    EXPECT_LE(all.size(), 120U) << all;

    // Multi-byte UTF-8 around the NUL is never cut in the middle of a character.
    std::string wide;
    for (int i = 0; i < 40; ++i) wide += "\u00e9";  // 2 bytes each
    const std::string utf8 =
        validate_options(k_schema, R"({"image":")" + wide + R"(\u0000)" + wide + R"("})");
    EXPECT_NE(utf8.find("\u00e9\\u0000\u00e9"), std::string::npos) << utf8;
    EXPECT_EQ(utf8.find("\xef\xbf\xbd"), std::string::npos) << utf8;  // no U+FFFD: no cut byte
}

// However deep the options nest, finding the NUL is linear and the option's name in the
// message is cut short.
TEST(OptionsSchema, ANulDeepDownIsFoundAndNamedBriefly) {
    constexpr const char* schema = R"({"type":"object","properties":{"x":{"type":"array"}}})";
    constexpr int depth = 100000;
    const std::string deep =
        R"({"x":)" + std::string(depth, '[') + R"("a\u0000b")" + std::string(depth, ']') + "}";
    const std::string problem = validate_options(schema, deep);
    EXPECT_EQ(problem.rfind("option 'x[0][0][0]", 0), 0U) << problem.substr(0, 200);
    EXPECT_NE(problem.find("[0]...["), std::string::npos) << problem;
    EXPECT_NE(problem.find(R"([0][0]' value "a\u0000b" contains a NUL byte)"), std::string::npos)
        << problem;
    EXPECT_LE(problem.size(), 200U) << problem;
}

TEST(SessionOptions, RefusesNulBytesAsInvalidArgument) {
    try {
        session_options o(k_schema, R"({"image":"x","ports":["a\u0000b"]})");
        FAIL();
    } catch (const error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_INVALID_ARGUMENT);
        EXPECT_STREQ(e.what(), R"(option 'ports[0]' value "a\u0000b" contains a NUL byte)");
    }
}

// Found by options_fuzz: nlohmann reports a number beyond a double's range as out_of_range,
// not parse_error, and the validator threw instead of answering.
TEST(OptionsSchema, ANumberBeyondADoubleIsInvalidJsonNotAnException) {
    const std::string schema = R"({"type":"object","properties":{"cpus":{"type":"number"}}})";
    std::string problem;
    EXPECT_NO_THROW(problem = validate_options(schema, R"({"cpus":1e309})"));
    EXPECT_NE(problem.find("not valid JSON"), std::string::npos) << problem;
    try {
        session_options o(schema, R"({"cpus":1e309})");
        ADD_FAILURE() << "accepted";
    } catch (const error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_INVALID_ARGUMENT);
    }
}

}  // namespace
}  // namespace berth::sdk
