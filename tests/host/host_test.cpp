// The host with the real local plugin: option validation before anything runs, the registry
// record of a session, metrics, and the session operations.
#include <gtest/gtest.h>
#include <re2/re2.h>
#include <berth/host/host.hpp>

#include "test_support.hpp"

namespace berth::host {
namespace {
using namespace std::chrono_literals;

host local_host() {
    return host(
        host_options{.plugin_dirs = std::vector<std::filesystem::path>{test::plugin_dir()}});
}

TEST(Host, FindsTheLocalPluginBesideTheBuild) {
    auto h = local_host();
    auto p = h.find("local");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->name(), "berth-local");
    EXPECT_TRUE(p->has(BERTH_CAP_PTY));
    EXPECT_EQ(h.find("berth-local"), p);
}

TEST(Host, RejectsUnknownRuntimeNamingTheAvailableOnes) {
    auto h = local_host();
    auto s = h.open_session("nope", R"({"command":["true"]})");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, BERTH_ERR_NOT_FOUND);
    EXPECT_EQ(s.err().message.rfind("unknown runtime 'nope' (available: ", 0), 0U)
        << s.err().message;
    EXPECT_NE(s.err().message.find("local"), std::string::npos) << s.err().message;
}

TEST(Host, InvalidOptionsSpawnNothingAndNameTheOption) {
    auto h = local_host();
    struct bad {
        const char* options;
        const char* message;
    };
    for (const auto& [options, message] : std::initializer_list<bad>{
             {R"({"command":["true"],"imgae":"x"})", "runtime local: unknown option 'imgae'"},
             {R"({"tty":true})", "runtime local: missing required option 'command'"},
             {R"({"command":"true"})",
              "runtime local: option 'command' must be an array, got a string"},
             {R"({"command":[]})", "runtime local: option 'command' needs at least 1 item(s)"},
             {R"({"command":["true"],"rows":0})",
              "runtime local: option 'rows' must be at least 1, got 0"},
             {R"({"command":["true"],"env":{"A":1}})",
              "runtime local: option 'env.A' must be a string, got an integer"},
             {R"([1,2])", "runtime local: options must be a JSON object, got an array"},
             // The local plugin would cut argv, env and workdir at a NUL, while the record
             // showed the whole value.
             {R"({"command":["echo","a\u0000b"]})",
              R"(runtime local: option 'command[1]' value "a\u0000b" contains a NUL byte)"},
             {R"({"command":["pwd"],"workdir":"/tmp\u0000/x"})",
              R"(runtime local: option 'workdir' value "/tmp\u0000/x" contains a NUL byte)"},
             {R"({"command":["env"],"env":{"A":"b\u0000c"}})",
              R"(runtime local: option 'env.A' value "b\u0000c" contains a NUL byte)"},
         }) {
        auto s = h.open_session("local", options);
        ASSERT_FALSE(s) << options;
        EXPECT_EQ(s.err().code, BERTH_ERR_INVALID_ARGUMENT) << options;
        EXPECT_EQ(s.err().message.rfind(message, 0), 0U) << s.err().message;
    }
    EXPECT_TRUE(h.sessions().empty());  // nothing was even registered
}

// The plugin refuses a NUL on its own too (sdk::session_options), for a host that does not
// validate first: through the C ABI, with no process started.
TEST(Host, LocalPluginItselfRefusesNulBytes) {
    auto h = local_host();
    auto p = h.find("local");
    ASSERT_TRUE(p);
    berth_session_sink sink{};
    sink.struct_size = sizeof sink;
    sink.on_output = [](void*, berth_stream, const std::uint8_t*, std::uint32_t) {};
    sink.on_exit = [](void*, const berth_exit_status*) { ADD_FAILURE() << "a session ran"; };
    berth_session* handle = nullptr;
    const auto status =
        p->api().session_open(p->instance(), R"({"command":["echo","a\u0000b"]})", &sink, &handle);
    EXPECT_EQ(status, BERTH_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(handle, nullptr);
    EXPECT_EQ(p->last_error(), R"(option 'command[1]' value "a\u0000b" contains a NUL byte)");
}

// Needs the SDK's process helper of ABI 1.2 (BERTH_ERR_COMMAND_NOT_FOUND for a missing command;
// before it, BERTH_ERR_NOT_FOUND).
TEST(Host, CommandNotFoundIsAClearFailure) {
    auto h = local_host();
    auto s = h.open_session("local", R"({"command":["berth-no-such-command"]})");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, BERTH_ERR_COMMAND_NOT_FOUND);
    EXPECT_EQ(s.err().message, "command not found: berth-no-such-command");
    EXPECT_EQ(h.registry().metrics().get("berth-local")->sessions_failed, 1U);
}

TEST(Host, SessionRecordFollowsTheProcess) {
    auto h = local_host();
    auto opened =
        h.open_session("local", R"({"command":["sh","-c","echo out; echo err >&2; exit 7"]})");
    ASSERT_TRUE(opened) << opened.err().message;
    auto s = opened.value();
    ASSERT_TRUE(s->entry()->wait_ended(10s));
    const auto r = s->entry()->snapshot();
    EXPECT_EQ(r.state, registry::session_state::exited);
    EXPECT_EQ(r.exit_code, 7);
    EXPECT_EQ(r.term_signal, 0);
    EXPECT_GT(r.pid, 0);
    EXPECT_EQ(r.runtime, "local");
    EXPECT_EQ(r.argv, (std::vector<std::string>{"sh", "-c", "echo out; echo err >&2; exit 7"}));
    const auto out = s->entry()->read(0, 1024);
    std::string stdout_text, stderr_text;
    for (const auto& c : out.chunks)
        (c.source == registry::stream::err ? stderr_text : stdout_text) += c.bytes;
    EXPECT_EQ(stdout_text, "out\n");
    EXPECT_EQ(stderr_text, "err\n");
    const auto m = h.registry().metrics().get("berth-local");
    EXPECT_EQ(m->sessions_opened, 1U);
    EXPECT_EQ(m->sessions_active, 0U);
    EXPECT_EQ(m->bytes_out, 8U);
    EXPECT_EQ(m->counters.at("processes_spawned_total"), 1.0);  // pushed by the plugin
}

TEST(Host, KilledProcessNeverReadsAsExitZero) {
    auto h = local_host();
    auto s = h.open_session("local", R"({"command":["sleep","30"]})").value();
    ASSERT_TRUE(s->signal(SIGKILL));
    ASSERT_TRUE(s->entry()->wait_ended(10s));
    const auto r = s->entry()->snapshot();
    EXPECT_EQ(r.state, registry::session_state::exited);
    EXPECT_FALSE(r.exit_code.has_value());
    EXPECT_EQ(r.term_signal, SIGKILL);
}

TEST(Host, WriteWaitForPatternAndClose) {
    auto h = local_host();
    auto s = h.open_session("local", R"({"command":["sh"]})").value();
    ASSERT_TRUE(s->write("echo rea\"\"dy\n"));  // the pattern only appears in the output
    const re2::RE2 ready("ready");
    const auto w = s->entry()->wait_for_pattern(0, ready, 10s);
    ASSERT_EQ(w.result, registry::pattern_wait_result::outcome::matched);
    EXPECT_EQ(w.match->text, "ready");
    ASSERT_TRUE(s->close(2s));
    const auto r = s->entry()->snapshot();
    EXPECT_EQ(r.state, registry::session_state::closed);
    // Close ends input first (ABI 1.2), and a shell reading it ends there by itself: how it
    // ended is kept under the closed state.
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.term_signal, 0);
    EXPECT_GT(r.bytes_in, 0U);
    EXPECT_FALSE(s->write("echo again\n"));  // input is gone after close
}

TEST(Host, CloseInputDeliversEof) {
    auto h = local_host();
    std::string seen;
    std::mutex m;
    auto s = h.open_session("local", R"({"command":["wc","-c"]})",
                            [&](registry::stream, std::string_view b) {
                                std::lock_guard l(m);
                                seen += b;
                            })
                 .value();
    ASSERT_TRUE(s->write("12345"));
    ASSERT_TRUE(s->close_input());
    ASSERT_TRUE(s->entry()->wait_ended(10s));
    std::lock_guard l(m);
    EXPECT_EQ(seen.substr(seen.find_first_not_of(' ')), "5\n");
    EXPECT_EQ(s->entry()->snapshot().exit_code, 0);
}

TEST(Host, ResizeIsRefusedWithoutATerminal) {
    auto h = local_host();
    auto s = h.open_session("local", R"({"command":["sleep","30"]})").value();
    auto r = s->resize(40, 100);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, BERTH_ERR_STATE);
    EXPECT_NE(r.err().message.find("no terminal"), std::string::npos);
    ASSERT_TRUE(s->close(0ms));
}

}  // namespace
}  // namespace berth::host
