// host::exit_observer: told exactly once per session whose end is known, after its record is
// final and after the last output, however the session ends (by itself, failing to open, or
// closed); and a host whose output buffers hold nothing (capacity 0, `berth run`) still counts
// every byte its observers see.
#include <gtest/gtest.h>
#include <berth/host/host.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "test_support.hpp"

namespace berth::host {
namespace {

using namespace std::chrono_literals;

host local_host(std::size_t capacity = registry::output_buffer::k_default_capacity) {
    return host(host_options{.plugin_dirs = std::vector<std::filesystem::path>{test::plugin_dir()},
                             .output_buffer_capacity = capacity});
}

// What the observers saw, and what the record said when the exit observer was told.
struct seen {
    std::mutex mutex;
    std::string output;
    std::size_t output_at_exit = 0;
    std::atomic<int> exits{0};
    // Set by the test once open_session returned; the exit observer reads the record through
    // it. Not through the host: an observer must not call back into the host (TSan sees the
    // host's lock taken under the plugin's).
    std::atomic<registry::session_entry*> entry{nullptr};
    std::optional<registry::session_state> state_at_exit;
    std::thread::id exit_thread;

    // Waits (bounded) until the exit observer was told at least once.
    bool told_within(std::chrono::milliseconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (exits.load() == 0) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(1ms);
        }
        return true;
    }
};

// Opens through `h` with both observers recording into `s`.
result<std::shared_ptr<session>> open_observed(host& h, std::string_view options, seen& s) {
    auto opened = h.open_session(
        "local", options,
        [&s](registry::stream, std::string_view bytes) {
            const std::lock_guard lock(s.mutex);
            s.output += bytes;
        },
        [&s] {
            {
                const std::lock_guard lock(s.mutex);
                s.output_at_exit = s.output.size();
                if (auto* e = s.entry.load()) s.state_at_exit = e->state();
                s.exit_thread = std::this_thread::get_id();
            }
            ++s.exits;
        });
    if (opened) s.entry = opened.value()->entry().get();
    return opened;
}

TEST(ExitObserver, ToldOnceAfterTheRecordIsFinalAndTheLastOutput) {
    auto h = local_host();
    seen s;
    // The command prints and exits only once it has read a line: by then the test has set
    // s.entry, so the observer can look at the record.
    auto opened = open_observed(
        h, R"({"command":["sh","-c","read go; head -c 300000 /dev/zero; exit 4"]})", s);
    ASSERT_TRUE(opened) << opened.err().message;
    ASSERT_TRUE(opened.value()->write("go\n"));
    ASSERT_TRUE(s.told_within(10s));
    {
        const std::lock_guard lock(s.mutex);
        ASSERT_TRUE(s.state_at_exit.has_value());
        EXPECT_EQ(*s.state_at_exit, registry::session_state::exited);
        EXPECT_EQ(s.output_at_exit, 300000U);
        EXPECT_NE(s.exit_thread, std::this_thread::get_id());  // the plugin's thread
    }
    EXPECT_EQ(opened.value()->entry()->snapshot().exit_code, 4);
    // Releasing and dropping the session tells nobody again.
    for (int i = 0; i < 100 && h.release_ended_sessions() == 0; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(opened.value()->released());
    h.forget_session(opened.value()->id());
    opened = error{BERTH_ERR_INTERNAL, "dropped"};
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(s.exits.load(), 1);
}

TEST(ExitObserver, ToldOnceWhenTheOpenFailsOnTheOpeningThread) {
    auto h = local_host();
    seen s;
    auto opened = open_observed(h, R"({"command":["berth-no-such-command"]})", s);
    ASSERT_FALSE(opened);
    // Told before open_session returned, on this thread; the record says why it failed.
    EXPECT_EQ(s.exits.load(), 1);
    const std::lock_guard lock(s.mutex);
    EXPECT_EQ(s.exit_thread, std::this_thread::get_id());
    const auto records = h.session_records();
    ASSERT_EQ(records.size(), 1U);
    EXPECT_EQ(records[0].state, registry::session_state::failed);
}

TEST(ExitObserver, NotToldWhenNoSessionWasMade) {
    auto h = local_host();
    seen s;
    auto opened = open_observed(h, R"({"command":"not-an-array"})", s);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.err().code, BERTH_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(s.exits.load(), 0);
}

TEST(ExitObserver, ToldOnceForAClosedSession) {
    auto h = local_host();
    seen s;
    auto opened = open_observed(h, R"({"command":["sleep","30"]})", s);
    ASSERT_TRUE(opened) << opened.err().message;
    auto session = opened.value();
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(s.exits.load(), 0);  // still running
    ASSERT_TRUE(session->close(2s));
    ASSERT_TRUE(s.told_within(10s));
    ASSERT_TRUE(session->close(0ms));  // a second close ends nothing new
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(s.exits.load(), 1);
    const std::lock_guard lock(s.mutex);
    ASSERT_TRUE(s.state_at_exit.has_value());
    EXPECT_EQ(*s.state_at_exit, registry::session_state::closed);
    EXPECT_EQ(session->entry()->snapshot().state, registry::session_state::closed);
}

// Capacity 0 ("observers only"): the observer gets every byte, the record counts them, the
// entry holds none and a reader from 0 is told they were all dropped.
TEST(ExitObserver, ObserversOnlyHostCountsEveryByteAndKeepsNone) {
    auto h = local_host(0);
    seen s;
    auto opened =
        open_observed(h, R"({"command":["sh","-c","head -c 1000000 /dev/zero; echo err >&2"]})", s);
    ASSERT_TRUE(opened) << opened.err().message;
    ASSERT_TRUE(s.told_within(10s));
    const auto entry = opened.value()->entry();
    EXPECT_EQ(entry->snapshot().bytes_out, 1000004U);
    EXPECT_EQ(entry->end_offset(), 1000004U);
    EXPECT_EQ(entry->output_allocated(), 0U);
    const auto r = entry->read(0, 1 << 20);
    EXPECT_TRUE(r.chunks.empty());
    EXPECT_EQ(r.dropped, 1000004U);
    const std::lock_guard lock(s.mutex);
    EXPECT_EQ(s.output.size(), 1000004U);
}

}  // namespace
}  // namespace berth::host
