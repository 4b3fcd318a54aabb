// The basic contract every plugin keeps (conformance.hpp says how the cases run).
#include <chrono>
#include <csignal>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "conformance.hpp"

namespace berth::test {
namespace {
using json = nlohmann::json;

TEST_P(Conformance, HealthCheckWritesAReport) {
    const auto r = check_health(*plugin_);
    ASSERT_EQ(r.status, BERTH_OK) << r.detail;
    EXPECT_TRUE(r.state_set);
    EXPECT_EQ(r.state, BERTH_HEALTH_HEALTHY) << r.detail;  // the runtime is installed here
    EXPECT_FALSE(r.detail.empty());
}

TEST_P(Conformance, OptionsSchemaIsAJsonObjectSchemaWithCommand) {
    const auto schema = json::parse(plugin_->options_schema(), nullptr, false);
    ASSERT_TRUE(schema.is_object()) << plugin_->options_schema();
    EXPECT_EQ(schema.value("type", ""), "object");
    EXPECT_TRUE(schema.contains("properties") && schema["properties"].contains("command"));
}

TEST_P(Conformance, InputReachesTheCommandAndEofEndsIt) {
    ASSERT_TRUE(has(BERTH_CAP_STDIN_EOF)) << "every bundled plugin passes stdin EOF on";
    recorder rec;
    auto* s = open(options({"cat"}), rec);
    ASSERT_TRUE(s);
    EXPECT_EQ(write(s, "conformance-echo\n"), BERTH_OK) << plugin_->last_error();
    EXPECT_TRUE(rec.wait_text("conformance-echo")) << rec.output;
    EXPECT_EQ(api().session_close_stdin(s), BERTH_OK) << plugin_->last_error();
    ASSERT_TRUE(rec.wait_exit()) << "cat did not end after stdin EOF";
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.status.exit_code, 0) << rec.reason;
    EXPECT_EQ(rec.status.term_signal, 0);
    EXPECT_EQ(rec.status.failed, 0U) << rec.reason;
}

TEST_P(Conformance, ExitCodePassesThroughAndOnExitComesOnceAfterTheLastOutput) {
    recorder rec;
    auto* s = open(options({"sh", "-c", "echo last-words; exit 7"}), rec);
    ASSERT_TRUE(s);
    ASSERT_TRUE(rec.wait_exit());
    // Closing after the end is fine and delivers nothing more.
    EXPECT_EQ(api().session_close(s, 1000), BERTH_OK) << plugin_->last_error();
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.status.exit_code, 7) << rec.reason;
    EXPECT_EQ(rec.status.term_signal, 0);
    EXPECT_NE(rec.output.find("last-words"), std::string::npos) << rec.output;
    EXPECT_EQ(rec.exits, 1);
    EXPECT_EQ(rec.output_after_exit, 0);
}

TEST_P(Conformance, WriteAfterTheEndIsAStateErrorWithAMessage) {
    recorder rec;
    auto* s = open(options({"true"}), rec);
    ASSERT_TRUE(s);
    ASSERT_TRUE(rec.wait_exit());
    ASSERT_EQ(api().session_close(s, 1000), BERTH_OK);
    EXPECT_EQ(write(s, "too late\n"), BERTH_ERR_STATE);
    EXPECT_FALSE(plugin_->last_error().empty());
}

TEST_P(Conformance, CloseEndsARunningSessionOnceAndIsIdempotent) {
    recorder rec;
    auto* s = open(options({"sleep", "600"}), rec);
    ASSERT_TRUE(s);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(api().session_close(s, 1000), BERTH_OK) << plugin_->last_error();
    // Bounded by the grace period plus the plugin's own clean-up, not by `sleep 600`.
    EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
    EXPECT_EQ(api().session_close(s, 1000), BERTH_OK) << plugin_->last_error();
    std::lock_guard lock(rec.mutex);
    ASSERT_EQ(rec.exits, 1) << "close returned before on_exit, or called it twice";
    // Ended by berth: never a clean exit 0.
    EXPECT_TRUE(rec.status.term_signal > 0 || rec.status.exit_code > 128)
        << "exit " << rec.status.exit_code << " signal " << rec.status.term_signal;
}

TEST_P(Conformance, SignalsReachTheCommandAndAKillNeverReadsAsExitZero) {
    ASSERT_TRUE(has(BERTH_CAP_SIGNAL));
    recorder rec;
    auto* s = open(options({"sh", "-c", "echo armed; exec sleep 600"}), rec);
    ASSERT_TRUE(s);
    ASSERT_TRUE(rec.wait_text("armed"));
    EXPECT_EQ(api().session_signal(s, SIGKILL), BERTH_OK) << plugin_->last_error();
    ASSERT_TRUE(rec.wait_exit()) << "SIGKILL did not end the command";
    std::lock_guard lock(rec.mutex);
    // A signal shows as term_signal, or as 128+N where the runtime folds it (lxc-attach, ctr).
    EXPECT_TRUE(rec.status.term_signal == SIGKILL || rec.status.exit_code == 128 + SIGKILL)
        << "exit " << rec.status.exit_code << " signal " << rec.status.term_signal << " "
        << rec.reason;
}

TEST_P(Conformance, ResizeWorksOnATerminalAndIsAStateErrorWithout) {
    ASSERT_TRUE(has(BERTH_CAP_RESIZE) && has(BERTH_CAP_PTY));
    recorder tty;
    auto* t = open(options({"sh", "-c", "echo tty-up; exec sleep 600"}, {{"tty", true}}), tty);
    ASSERT_TRUE(t);
    ASSERT_TRUE(tty.wait_text("tty-up"));
    EXPECT_EQ(api().session_resize(t, 30, 100), BERTH_OK) << plugin_->last_error();
    EXPECT_EQ(api().session_close(t, 1000), BERTH_OK);

    recorder pipes;
    auto* p = open(options({"sleep", "600"}), pipes);
    ASSERT_TRUE(p);
    EXPECT_EQ(api().session_resize(p, 30, 100), BERTH_ERR_STATE);
    EXPECT_FALSE(plugin_->last_error().empty());
    EXPECT_EQ(api().session_close(p, 1000), BERTH_OK);
}

TEST_P(Conformance, AnUnknownOptionIsRefusedByNameAndStartsNothing) {
    recorder rec;
    const berth_session_sink sink = rec.sink();
    berth_session* s = nullptr;
    const std::string bad = options({"true"}, {{"no_such_option", 1}});
    EXPECT_EQ(api().session_open(plugin_->instance(), bad.c_str(), &sink, &s),
              BERTH_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(s, nullptr);
    EXPECT_NE(plugin_->last_error().find("no_such_option"), std::string::npos)
        << plugin_->last_error();
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.exits, 0) << "a refused open must make no callback";
}

}  // namespace
}  // namespace berth::test
