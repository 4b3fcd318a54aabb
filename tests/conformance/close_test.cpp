// Closing an interactive shell: quick, and the same outcome on every runtime.
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "conformance.hpp"

namespace berth::test {
namespace {
using json = nlohmann::json;

// How an interactive `sh` ends when its session is closed, stated once for every runtime:
// session_close closes input first, and a shell at end of input exits by itself, status 0,
// before any signal is sent.
constexpr outcome k_closed_shell{.exit_code = 0, .term_signal = 0, .failed = 0};
constexpr auto k_close_bound = 1s;

class ConformanceClose : public Conformance {
protected:
    // Opens `sh` (on a terminal or on pipes), waits until it answers, then closes it with the
    // default grace period and checks how long that took and how the session ended.
    void close_a_ready_shell(bool tty) {
        recorder rec;
        auto* s = open(options({"sh"}, tty ? json{{"tty", true}} : json::object()), rec);
        ASSERT_TRUE(s);
        // The quotes keep a terminal's echo of the line from matching: only the answer does.
        ASSERT_EQ(write(s, "echo shell-re''ady\n"), BERTH_OK) << plugin_->last_error();
        ASSERT_TRUE(rec.wait_text("shell-ready"))
            << "the shell never answered: " << rec.output_now();

        const auto started = std::chrono::steady_clock::now();
        const berth_status closed = api().session_close(s, BERTH_DEFAULT_GRACE_MS);
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        EXPECT_EQ(closed, BERTH_OK) << plugin_->last_error();
        RecordProperty("close_ms", std::to_string(took.count()));
        EXPECT_LT(took, k_close_bound) << "session_close took " << took.count() << " ms";
        EXPECT_EQ(api().session_close(s, BERTH_DEFAULT_GRACE_MS), BERTH_OK)
            << plugin_->last_error();

        std::lock_guard lock(rec.mutex);
        EXPECT_EQ(rec.exits, 1) << "close returned before on_exit, or it came twice";
        EXPECT_EQ(outcome_of(rec.status), k_closed_shell) << rec.reason;
        EXPECT_EQ(rec.output_after_exit, 0);
    }
};

TEST_P(ConformanceClose, AnInteractiveShellOnATerminalEndsWithinASecond) {
    ASSERT_TRUE(has(BERTH_CAP_PTY));
    close_a_ready_shell(true);
}

TEST_P(ConformanceClose, AnInteractiveShellOnPipesEndsWithinASecond) {
    ASSERT_TRUE(has(BERTH_CAP_PIPES));
    close_a_ready_shell(false);
}

INSTANTIATE_TEST_SUITE_P(Plugins, ConformanceClose, ::testing::ValuesIn(cases()), case_name);

}  // namespace
}  // namespace berth::test
