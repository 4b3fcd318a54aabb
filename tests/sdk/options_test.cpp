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

}  // namespace
}  // namespace berth::sdk
