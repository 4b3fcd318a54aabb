#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <berth/sdk/option_checks.hpp>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>

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

TEST(SessionOptions, NumberReadsAnyJsonNumber) {
    const session_options o(k_schema, R"({"image":"x","cpus":1.5,"rows":7})");
    EXPECT_EQ(o.number("cpus"), 1.5);
    EXPECT_EQ(o.number("rows"), 7.0);  // an integer is a number too
    EXPECT_FALSE(o.number("image"));   // a string is not
    EXPECT_FALSE(o.number("missing"));
    EXPECT_FALSE(o.integer("cpus"));  // a fraction is no integer
}

TEST(SessionOptions, IntegerBeyondInt64IsNotReadAsAWrappedNumber) {
    constexpr const char* schema = R"({"type":"object","properties":{"n":{"type":"integer"}}})";
    const session_options o(schema, R"({"n":18446744073709551615})");
    EXPECT_FALSE(o.integer("n"));
    EXPECT_EQ(session_options(schema, R"({"n":-9223372036854775808})").integer("n"), INT64_MIN);
}

// The message of the INVALID_ARGUMENT error `f` throws; "" when it throws none.
std::string rejection(const std::function<void()>& f) {
    try {
        f();
    } catch (const error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_INVALID_ARGUMENT) << e.what();
        return e.what();
    }
    return {};
}

TEST(SessionOptions, CheckedIntegersFitTheirType) {
    constexpr const char* schema = R"({"type":"object","properties":{
        "rows":{"type":"integer"},"uid":{"type":"integer"},"name":{"type":"string"}}})";
    const session_options o(schema, R"({"rows":70000,"uid":4294967295,"name":"x"})");
    EXPECT_EQ(o.integer_as<std::uint32_t>("uid"), 4294967295U);
    EXPECT_FALSE(o.integer_as<std::uint16_t>("missing"));
    EXPECT_EQ(rejection([&] { (void)o.integer_as<std::uint16_t>("rows"); }),
              "option 'rows' must be an integer from 0 to 65535, got 70000");
    EXPECT_EQ(rejection([&] { (void)o.integer_in("rows", 1, 100); }),
              "option 'rows' must be an integer from 1 to 100, got 70000");
    EXPECT_EQ(rejection([&] { (void)o.integer_as<std::int32_t>("name"); }),
              "option 'name' must be an integer from -2147483648 to 2147483647, got a string");
    EXPECT_EQ(session_options(schema, R"({"rows":24})").integer_as<std::uint16_t>("rows"), 24);
}

TEST(OptionChecks, QuotedValueIsShortAroundTheProblem) {
    EXPECT_EQ(quoted_value("abc"), R"("abc")");
    EXPECT_EQ(quoted_value("a\nb"), R"("a\nb")");
    const std::string long_value = std::string(100, 'a') + "\n" + std::string(100, 'b');
    const std::string around = quoted_value(long_value, 100);
    EXPECT_EQ(around.rfind("\"...", 0), 0U) << around;
    EXPECT_NE(around.find("aaa\\nbbb"), std::string::npos) << around;
    EXPECT_LE(around.size(), 72U) << around;
    const std::string head = quoted_value(long_value);
    EXPECT_EQ(head.rfind("\"aaa", 0), 0U) << head;
    EXPECT_NE(head.find("...\""), std::string::npos) << head;
    EXPECT_LE(head.size(), 72U) << head;
}

TEST(OptionChecks, EachCheckNamesTheOptionAndWhatWasExpected) {
    EXPECT_EQ(rejection([] { check_not_empty("user", ""); }), "option 'user' must not be empty");
    EXPECT_EQ(rejection([] { check_not_empty("user", "root"); }), "");

    EXPECT_EQ(rejection([] { check_single_line("env.A", "1\n2"); }),
              R"(option 'env.A' must not contain a line break, got "1\n2")");
    EXPECT_EQ(rejection([] { check_single_line("env.A", "1\r"); }),
              R"(option 'env.A' must not contain a line break, got "1\r")");
    EXPECT_EQ(rejection([] { check_single_line("env.A", std::string("a\0b", 3)); }),
              R"(option 'env.A' value "a\u0000b" contains a NUL byte)");
    EXPECT_EQ(rejection([] { check_single_line("env.A", "one line, spaces and all"); }), "");

    EXPECT_EQ(rejection([] { check_not_flag("image", "-i", "podman"); }),
              R"(option 'image' must not start with '-' (got "-i"): podman would read it as an )"
              "option");
    EXPECT_EQ(rejection([] { check_not_flag("image", "i-", "podman"); }), "");

    EXPECT_EQ(rejection([] { check_absolute_path("workdir", "srv", "in the container"); }),
              R"(option 'workdir' must be an absolute path in the container, got "srv")");
    EXPECT_EQ(rejection([] { check_absolute_path("fifo_dir", ""); }),
              R"(option 'fifo_dir' must be an absolute path, got "")");
    EXPECT_EQ(rejection([] { check_absolute_path("fifo_dir", "/run"); }), "");
}

TEST(OptionChecks, NamesOfNameValueWords) {
    const std::string rule =
        ": a name must be non-empty, without '=' or a line break (it becomes NAME=VALUE)";
    EXPECT_EQ(rejection([] { check_name("keep_vars", "A=B"); }),
              R"(option 'keep_vars' has the invalid name "A=B")" + rule);
    EXPECT_EQ(rejection([] { check_name("keep_vars", ""); }),
              R"(option 'keep_vars' has the invalid name "")" + rule);
    EXPECT_EQ(rejection([] { check_name("keep_vars", "A\nB"); }),
              R"(option 'keep_vars' has the invalid name "A\nB")" + rule);
    EXPECT_EQ(rejection([] { check_name("keep_vars", std::string("A\0", 2)); }),
              R"(option 'keep_vars' has the invalid name "A\u0000")" + rule);
    EXPECT_EQ(rejection([] { check_name("keep_vars", "TERM"); }), "");

    const std::map<std::string, std::string> env = {{"A", "x=y"}, {"B=C", "1"}};
    EXPECT_EQ(rejection([&] { check_names("env", env); }),
              R"(option 'env' has the invalid name "B=C")" + rule);
    EXPECT_EQ(rejection([] { check_names("env", {{"A", "x=y\n"}}); }), "");  // values are free
}

TEST(OptionChecks, ReservedNamesAndLabels) {
    constexpr std::array<std::string_view, 1> token = {"BERTH_TOKEN"};
    EXPECT_EQ(rejection([&] {
                  check_not_reserved("env", {{"BERTH_TOKEN", "x"}}, token, "why");
              }),
              R"(option 'env' has the name "BERTH_TOKEN", which is reserved: why)");
    EXPECT_EQ(rejection([&] { check_not_reserved("env", {{"TOKEN", "x"}}, token, "why"); }), "");

    const std::string marks = ", which is reserved: berth marks the containers it creates with it";
    EXPECT_EQ(rejection([] {
                  check_labels("labels", {{BERTH_OWNER_LABEL, "me"}});
              }),
              std::string(R"(option 'labels' has the name ")") + BERTH_OWNER_LABEL + "\"" + marks);
    constexpr std::array<std::string_view, 1> mine = {"berth.plugin"};
    EXPECT_EQ(rejection([&] {
                  check_labels("labels", {{"berth.plugin", "x"}}, mine);
              }),
              R"(option 'labels' has the name "berth.plugin")" + marks);
    EXPECT_EQ(rejection([] {
                  check_labels("labels", {{"", "x"}});
              }).rfind(R"(option 'labels' has the invalid name "")", 0),
              0U);
    EXPECT_EQ(rejection([&] { check_labels("labels", {{"team", "a"}}, mine); }), "");
}

TEST(OptionChecks, EchoAtMostAShortPartOfALongValue) {
    const std::string long_value = std::string(1000, 'x') + "\n" + std::string(1000, 'y');
    for (const std::string& message :
         {rejection([&] { check_single_line("v", long_value); }),
          rejection([&] { check_not_flag("v", "-" + long_value, "tool"); }),
          rejection([&] { check_absolute_path("v", long_value); }),
          rejection([&] { check_name("v", long_value); })}) {
        EXPECT_FALSE(message.empty());
        EXPECT_LE(message.size(), 200U) << message;
        EXPECT_NE(message.find("...\""), std::string::npos) << message;
    }
    // The line break is shown, not only the start of the value.
    EXPECT_NE(rejection([&] { check_single_line("v", long_value); }).find("x\\ny"),
              std::string::npos);
}

TEST(SchemaProblem, AcceptsWhatTheValidatorReadsAsMeant) {
    EXPECT_EQ(schema_problem(k_schema), "");
    EXPECT_EQ(schema_problem(
                  console_schema(R"({"image":{"type":"string"}})", {.command_required = true})),
              "");
    EXPECT_EQ(schema_problem(R"({"properties":{}})"), "");
}

TEST(SchemaProblem, NamesWhatTheValidatorWouldMisread) {
    EXPECT_EQ(schema_problem("{"),
              "not valid JSON: [json.exception.parse_error.101] parse error at line 1, column 2: "
              "syntax error while parsing object key - unexpected end of input; expected string "
              "literal");
    EXPECT_EQ(schema_problem("[]"), "it is an array, not a JSON object");
    EXPECT_EQ(
        schema_problem(R"({"type":"array","properties":{}})"),
        R"(its type is "array", but session options are always a JSON object: use "type": "object")");
    EXPECT_EQ(schema_problem(R"({"type":"object"})"),
              "it has no 'properties' object, so the host refuses every session's options");
    EXPECT_EQ(schema_problem(R"({"properties":{"rows":{"type":"int"}}})"),
              "property 'rows' has type 'int', which is not one of string, integer, number, "
              "boolean, array, object, null (no value could match it)");
    EXPECT_EQ(schema_problem(R"({"properties":{"tty":true}})"),
              "property 'tty' is a boolean, not a schema object (it would accept any value)");
    EXPECT_EQ(schema_problem(R"({"properties":{"ports":{"type":"array","items":{"type":"str"}}}})"),
              "property 'ports' items has type 'str', which is not one of string, integer, "
              "number, boolean, array, object, null (no value could match it)");
    EXPECT_EQ(schema_problem(R"({"properties":{"a":{"type":["string","null"]}}})"),
              R"(property 'a' has type ["string","null"]: berth reads only a single type name)");
    EXPECT_EQ(schema_problem(R"({"properties":{"a":{"enum":"x"}}})"),
              "property 'a' has an 'enum' that is not an array");
    EXPECT_EQ(schema_problem(R"({"properties":{},"required":"a"})"),
              "its 'required' is not an array of option names");
    EXPECT_EQ(schema_problem(R"({"additionalProperties":false,"properties":{},"required":["a"]})"),
              "it requires option 'a', which its closed 'properties' do not list, so no options "
              "can pass");
}

TEST(ConsoleSchema, MergesTheConsoleOptionsIntoTheRuntimes) {
    const std::string text = console_schema(
        R"({"image": {"type": "string", "description": "the image"}})",
        {.command_description = "argv in the box", .env_description = "the box's variables"});
    const auto schema = nlohmann::json::parse(text);
    EXPECT_EQ(schema["type"], "object");
    EXPECT_EQ(schema["additionalProperties"], false);
    EXPECT_FALSE(schema.contains("required"));
    const auto& props = schema["properties"];
    for (const char* key : {"image", "command", "tty", "rows", "cols", "env"})
        EXPECT_TRUE(props.contains(key)) << key;
    EXPECT_EQ(props.size(), 6U);
    EXPECT_EQ(props["image"]["description"], "the image");
    EXPECT_EQ(props["command"]["description"], "argv in the box");
    EXPECT_EQ(props["command"]["minItems"], 1);
    EXPECT_EQ(props["tty"]["description"], "run on a pseudo-terminal");
    EXPECT_EQ(props["env"]["description"], "the box's variables");
    EXPECT_EQ(props["rows"]["maximum"], 65535);
    EXPECT_EQ(props["cols"]["description"], "initial terminal columns (tty)");

    const std::string required = console_schema("{}", {.command_required = true});
    EXPECT_EQ(nlohmann::json::parse(required)["required"], nlohmann::json::array({"command"}));
}

TEST(ConsoleSchema, TheValidatorUnderstandsIt) {
    const std::string schema =
        console_schema(R"({"image": {"type": "string"}})", {.command_required = true});
    EXPECT_EQ(validate_options(schema, R"({"command":["sh"],"tty":true,"rows":40,"cols":120,
                                           "env":{"A":"1"},"image":"i"})"),
              "");
    EXPECT_EQ(validate_options(schema, R"({"image":"i"})"), "missing required option 'command'");
    EXPECT_EQ(validate_options(schema, R"({"command":[]})"),
              "option 'command' needs at least 1 item(s)");
    EXPECT_EQ(validate_options(schema, R"({"command":["sh"],"rows":0})"),
              "option 'rows' must be at least 1, got 0");
    EXPECT_EQ(validate_options(schema, R"({"command":["sh"],"cols":65536})"),
              "option 'cols' must be at most 65535, got 65536");
    EXPECT_EQ(validate_options(schema, R"({"command":["sh"],"env":{"A":1}})"),
              "option 'env.A' must be a string, got an integer");
    EXPECT_EQ(validate_options(schema, R"({"command":["sh"],"imgae":"i"})"),
              "unknown option 'imgae' (accepted: cols, command, env, image, rows, tty)");
}

TEST(ConsoleSchema, APluginsMistakeIsAnInternalError) {
    for (const char* runtime : {R"({"tty": {"type": "string"}})", "[]", "{", R"({"x": 1})"}) {
        try {
            (void)console_schema(runtime);
            ADD_FAILURE() << "accepted " << runtime;
        } catch (const error& e) {
            EXPECT_EQ(e.status(), BERTH_ERR_INTERNAL) << runtime;
            EXPECT_THAT(e.what(), ::testing::HasSubstr("runtime option")) << runtime;
        }
    }
}

}  // namespace
}  // namespace berth::sdk
