// host::release_ended_sessions: what a plugin holds for an ended session (its handle: a
// worker thread per containerd or LXC session, file descriptors) goes back, while the session
// object, its record and its output stay. With the real local plugin, and with the fake
// "worker" runtime, whose sessions keep a thread and a pipe each until their handle is
// destroyed, as containerd's and LXC's do.
#include <gtest/gtest.h>
#include <berth/host/host.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_plugin_path.hpp"
#include "test_support.hpp"

namespace berth::host {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::size_t entries(const char* dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
    return n;
}
std::size_t threads() { return entries("/proc/self/task"); }
std::size_t fds() { return entries("/proc/self/fd"); }

// The counts settle within a moment of a release (a joined thread leaves /proc a little
// later); waits for them, bounded.
bool settles_at(std::size_t (*count)(), std::size_t expected) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (count() != expected) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

host make_host() {
    return host(host_options{
        .plugin_dirs = std::vector<fs::path>{test::plugin_dir(), fake("worker").parent_path()}});
}

std::shared_ptr<session> open(host& h, std::string_view runtime, std::string_view options) {
    auto r = h.open_session(runtime, options);
    if (!r) {
        ADD_FAILURE() << "open failed: " << r.err().message;
        return nullptr;
    }
    return r.value();
}

void expect_ended_error(const result<void>& r, const session& s, const char* what) {
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.err().code, BERTH_ERR_STATE) << what;
    EXPECT_EQ(r.err().message, "session " + s.id() + " has ended") << what;
}

// Opens and ends one session of each runtime and releases it, so that lazily made things
// (a plugin's first child, allocator arenas) do not count against a test.
void warm_up(host& h) {
    for (const auto& [runtime, options] :
         {std::pair{"local", R"({"command":["true"]})"}, std::pair{"worker", R"({})"}}) {
        auto s = open(h, runtime, options);
        ASSERT_TRUE(s);
        ASSERT_TRUE(s->entry()->wait_ended(10s));
    }
    (void)h.release_ended_sessions();
}

TEST(HostRelease, ReleasedLocalSessionKeepsItsRecordAndOutput) {
    auto h = make_host();
    auto s = open(h, "local", R"({"command":["sh","-c","echo out; echo err >&2; exit 3"]})");
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->entry()->wait_ended(10s));
    EXPECT_FALSE(s->released());

    EXPECT_EQ(h.release_ended_sessions(), 1U);
    EXPECT_TRUE(s->released());
    EXPECT_EQ(h.release_ended_sessions(), 0U);  // once is all

    EXPECT_EQ(h.find_session(s->id()), s);
    const auto r = s->entry()->snapshot();
    EXPECT_EQ(r.state, registry::session_state::exited);
    EXPECT_EQ(r.exit_code, 3);
    std::string out, err;
    for (const auto& c : s->entry()->read(0, 1024).chunks)
        (c.source == registry::stream::err ? err : out) += c.bytes;
    EXPECT_EQ(out, "out\n");
    EXPECT_EQ(err, "err\n");
    EXPECT_EQ(s->entry()->output_allocated(), 8U);  // exactly the output, not 1 MiB

    expect_ended_error(s->write("more\n"), *s, "write");
    expect_ended_error(s->close_input(), *s, "close_input");
    expect_ended_error(s->resize(24, 80), *s, "resize");
    expect_ended_error(s->signal(SIGTERM), *s, "signal");
    EXPECT_TRUE(s->close(1s));  // nothing left to close; the record keeps how it ended
    EXPECT_EQ(s->entry()->snapshot().state, registry::session_state::exited);
    EXPECT_EQ(s->entry()->snapshot().exit_code, 3);
    EXPECT_EQ(s->entry()->snapshot().bytes_in, 0U);

    h.forget_session(s->id());
    EXPECT_EQ(h.find_session(s->id()), nullptr);
}

TEST(HostRelease, RunningSessionsAreNotReleased) {
    auto h = make_host();
    auto local = open(h, "local", R"({"command":["sleep","30"]})");
    auto worker = open(h, "worker", R"({"stay":true})");
    ASSERT_TRUE(local && worker);
    EXPECT_EQ(h.release_ended_sessions(), 0U);
    EXPECT_FALSE(local->released());
    EXPECT_FALSE(worker->released());
    EXPECT_TRUE(worker->write("still there"));

    ASSERT_TRUE(local->close(0ms));
    ASSERT_TRUE(worker->close(0ms));
    EXPECT_EQ(h.release_ended_sessions(), 2U);
    EXPECT_EQ(local->entry()->snapshot().state, registry::session_state::closed);
    // No grace at all: killed at once (ABI 1.2: SIGKILL once grace_ms have passed).
    EXPECT_EQ(local->entry()->snapshot().term_signal, SIGKILL);
    EXPECT_EQ(worker->entry()->snapshot().state, registry::session_state::closed);
    EXPECT_EQ(worker->entry()->snapshot().term_signal, SIGTERM);
}

TEST(HostRelease, LocalSessionsGiveBackThreadsAndFds) {
    auto h = make_host();
    warm_up(h);
    const std::size_t threads_before = threads();
    const std::size_t fds_before = fds();

    std::vector<std::shared_ptr<session>> sessions;
    for (int i = 0; i < 20; ++i) {
        auto s = open(h, "local", R"({"command":["sh","-c","echo hello"]})");
        ASSERT_TRUE(s);
        sessions.push_back(std::move(s));
    }
    for (const auto& s : sessions) ASSERT_TRUE(s->entry()->wait_ended(10s));
    EXPECT_EQ(h.release_ended_sessions(), 20U);
    EXPECT_TRUE(settles_at(threads, threads_before)) << threads() << " vs " << threads_before;
    EXPECT_TRUE(settles_at(fds, fds_before)) << fds() << " vs " << fds_before;
    for (const auto& s : sessions) {
        EXPECT_TRUE(s->released());
        EXPECT_EQ(s->entry()->read(0, 100).joined(), "hello\n");
        EXPECT_EQ(s->entry()->snapshot().exit_code, 0);
    }
}

// What containerd and LXC sessions do: a worker thread and file descriptors each, kept until
// the handle is destroyed. Before the release they are all still there; after it, gone.
TEST(HostRelease, ContainerLikeSessionsGiveBackTheirThreadsAndFds) {
    auto h = make_host();
    warm_up(h);
    const std::size_t threads_before = threads();
    const std::size_t fds_before = fds();

    constexpr std::size_t n = 12;
    std::vector<std::shared_ptr<session>> sessions;
    for (std::size_t i = 0; i < n; ++i) {
        auto s = open(h, "worker", R"({"output":"hello\n","exit_code":4})");
        ASSERT_TRUE(s);
        sessions.push_back(std::move(s));
    }
    for (const auto& s : sessions) ASSERT_TRUE(s->entry()->wait_ended(10s));
    // Ended, but their plugin objects live on until released: this is what berthd used to
    // keep for idle_timeout_s.
    EXPECT_EQ(threads(), threads_before + n);
    EXPECT_EQ(fds(), fds_before + 2 * n);

    EXPECT_EQ(h.release_ended_sessions(), n);
    EXPECT_TRUE(settles_at(threads, threads_before)) << threads() << " vs " << threads_before;
    EXPECT_TRUE(settles_at(fds, fds_before)) << fds() << " vs " << fds_before;
    for (const auto& s : sessions) {
        EXPECT_EQ(h.find_session(s->id()), s);
        EXPECT_EQ(s->entry()->read(0, 100).joined(), "hello\n");
        const auto r = s->entry()->snapshot();
        EXPECT_EQ(r.state, registry::session_state::exited);
        EXPECT_EQ(r.exit_code, 4);
        expect_ended_error(s->write("x"), *s, "write");
    }
}

// Callers on other threads write, resize, signal and close the sessions while the host
// releases them: each call either reaches the plugin or gets "has ended", and nothing
// crashes (run it under ASan and TSan too).
TEST(HostRelease, CallsRacingTheReleaseAreSafe) {
    auto h = make_host();
    for (int round = 0; round < 5; ++round) {
        std::vector<std::shared_ptr<session>> sessions;
        for (int i = 0; i < 4; ++i) {
            auto w = open(h, "worker", R"({"stay":true})");
            auto l = open(h, "local", R"({"command":["cat"]})");
            ASSERT_TRUE(w && l);
            sessions.push_back(std::move(w));
            sessions.push_back(std::move(l));
        }
        std::atomic<bool> stop{false};
        std::atomic<int> unexpected{0};
        const auto ok_or_ended = [&](const result<void>& r) {
            // A running session may refuse for its own reasons (resize without a terminal,
            // input closed); what must never happen is a crash or a call on a freed handle.
            if (!r && r.err().code != BERTH_ERR_STATE) ++unexpected;
        };
        std::vector<std::jthread> callers;
        for (int t = 0; t < 3; ++t) {
            callers.emplace_back([&, t] {
                while (!stop) {
                    for (const auto& s : sessions) {
                        ok_or_ended(s->write("data\n"));
                        if (t == 1) ok_or_ended(s->signal(SIGWINCH));
                        if (t == 2) (void)s->resize(30, 100);
                    }
                }
            });
        }
        std::jthread releaser([&] {
            while (!stop) {
                (void)h.release_ended_sessions();
                std::this_thread::yield();
            }
        });
        std::this_thread::sleep_for(20ms);
        {
            std::vector<std::jthread> closers;
            for (const auto& s : sessions)
                closers.emplace_back([&, s] { ok_or_ended(s->close(200ms)); });
        }
        // Closed: the releaser gives each back once nobody is in a call on it.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        for (const auto& s : sessions)
            while (!s->released() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(1ms);
        stop = true;
        callers.clear();
        releaser.join();
        EXPECT_EQ(unexpected.load(), 0);
        for (const auto& s : sessions) {
            EXPECT_TRUE(s->released()) << s->id();
            EXPECT_EQ(s->entry()->snapshot().state, registry::session_state::closed);
            EXPECT_TRUE(s->close(0ms));  // closing a released session again is harmless
        }
    }
}

// A plugin's callback runs on the plugin's thread: releasing from there would make the plugin
// wait for itself. The host refuses and releases nothing.
TEST(HostRelease, NothingIsReleasedFromInsideACallback) {
    auto h = make_host();
    auto ended = open(h, "local", R"({"command":["true"]})");
    ASSERT_TRUE(ended);
    ASSERT_TRUE(ended->entry()->wait_ended(10s));

    std::mutex m;
    std::vector<std::size_t> from_callback;
    auto r = h.open_session("local", R"({"command":["echo","hi"]})",
                            [&](registry::stream, std::string_view) {
                                const std::size_t n = h.release_ended_sessions();
                                const std::lock_guard lock(m);
                                from_callback.push_back(n);
                            });
    ASSERT_TRUE(r) << r.err().message;
    ASSERT_TRUE(r.value()->entry()->wait_ended(10s));
    {
        const std::lock_guard lock(m);
        ASSERT_FALSE(from_callback.empty());
        for (const auto n : from_callback) EXPECT_EQ(n, 0U);
    }
    EXPECT_FALSE(ended->released());
    EXPECT_EQ(h.release_ended_sessions(), 2U);
}

}  // namespace
}  // namespace berth::host
