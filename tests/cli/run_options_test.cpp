// `berth run` flags -> session options, typed by the plugin's schema.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace berth::cli {
namespace {
using json = nlohmann::json;

const std::string k_schema = R"({"type":"object","additionalProperties":false,"properties":{
  "command":{"type":"array","items":{"type":"string"}},
  "image":{"type":"string"}, "tty":{"type":"boolean"}, "env":{"type":"object"},
  "workdir":{"type":"string"}, "rows":{"type":"integer"}, "cpus":{"type":"number"},
  "read_only":{"type":"boolean"}, "volumes":{"type":"array","items":{"type":"string"}},
  "labels":{"type":"object","additionalProperties":{"type":"string"}}}})";

run_request request() {
    run_request r;
    r.runtime = "fake";
    r.command = {"sh", "-c", "echo hi"};
    return r;
}

json built(const run_request& r) {
    auto o = build_options_json(r, k_schema);
    EXPECT_TRUE(o) << o.err().message;
    return o ? json::parse(o.value()) : json();
}

std::string problem(const run_request& r) {
    auto o = build_options_json(r, k_schema);
    EXPECT_FALSE(o);
    return o ? "" : o.err().message;
}

TEST(RunOptions, MapsFlagsToNamedOptions) {
    auto r = request();
    r.image = "busybox";
    r.tty = true;
    r.env = {"A=1", "B=x=y"};
    r.workdir = "/srv";
    const json j = built(r);
    EXPECT_EQ(j["command"], json({"sh", "-c", "echo hi"}));
    EXPECT_EQ(j["image"], "busybox");
    EXPECT_EQ(j["tty"], true);
    EXPECT_EQ(j["env"], json({{"A", "1"}, {"B", "x=y"}}));
    EXPECT_EQ(j["workdir"], "/srv");
    EXPECT_FALSE(j.contains("user"));
}

TEST(RunOptions, TypesOptValuesBySchema) {
    auto r = request();
    r.opts = {"rows=40",       "cpus=1.5",          "read_only=true", "volumes=/a:/b",
              "volumes=/c:/d", "labels=team=infra", "image=i"};
    const json j = built(r);
    EXPECT_EQ(j["rows"], 40);
    EXPECT_EQ(j["cpus"], 1.5);
    EXPECT_EQ(j["read_only"], true);
    EXPECT_EQ(j["volumes"], json({"/a:/b", "/c:/d"}));
    EXPECT_EQ(j["labels"], json({{"team", "infra"}}));
    EXPECT_EQ(j["image"], "i");
}

TEST(RunOptions, OptionsJsonIsTheBaseAndFlagsOverride) {
    auto r = request();
    r.options_json = R"({"image":"from-json","rows":10})";
    r.image = "from-flag";
    const json j = built(r);
    EXPECT_EQ(j["image"], "from-flag");
    EXPECT_EQ(j["rows"], 10);
}

TEST(RunOptions, ErrorsNameTheFlag) {
    auto r = request();
    r.user = "root";
    EXPECT_EQ(problem(r),
              "runtime fake does not accept -u/--user (option 'user'; accepted: command, cpus, "
              "env, image, labels, read_only, rows, tty, volumes, workdir)");
    r = request();
    r.opts = {"rows=many"};
    EXPECT_EQ(problem(r), "--opt rows=many: 'rows' must be an integer");
    r = request();
    r.opts = {"read_only=maybe"};
    EXPECT_EQ(problem(r), "--opt read_only=maybe: 'read_only' must be a boolean");
    r = request();
    r.opts = {"imgae=x"};
    EXPECT_EQ(problem(r).rfind("--opt imgae=x: unknown option 'imgae' for runtime fake", 0), 0U);
    r = request();
    r.opts = {"novalue"};
    EXPECT_EQ(problem(r), "--opt 'novalue': expected KEY=VALUE");
    r = request();
    r.env = {"=x"};
    EXPECT_EQ(problem(r), "-e '=x': expected KEY=VALUE");
    r = request();
    r.options_json = "[1]";
    EXPECT_EQ(problem(r), "--options-json must be a JSON object");
    r = request();
    r.opts = {"labels=oops"};
    EXPECT_EQ(problem(r), "--opt labels=oops: 'labels' takes labels=NAME=VALUE");
}

TEST(RunOptions, ExitStatusForErrorsFollowsTheCodeNotTheWords) {
    EXPECT_EQ(exit_status_for({BERTH_ERR_INVALID_ARGUMENT, "x"}), 2);
    EXPECT_EQ(exit_status_for({BERTH_ERR_COMMAND_NOT_FOUND, "no such program"}), 127);
    EXPECT_EQ(exit_status_for({BERTH_ERR_COMMAND_NOT_EXECUTABLE, "cannot run it"}), 126);
    EXPECT_EQ(exit_status_for({BERTH_ERR_RUNTIME, "image not known"}), 125);
    // Words that used to decide, under other codes, decide nothing.
    EXPECT_EQ(exit_status_for({BERTH_ERR_NOT_FOUND, "command not found: x"}), 125);
    EXPECT_EQ(exit_status_for({BERTH_ERR_PERMISSION, "command not executable: /x"}), 125);
    EXPECT_EQ(exit_status_for({BERTH_ERR_PERMISSION, "cannot execute /x"}), 125);
}

}  // namespace
}  // namespace berth::cli
