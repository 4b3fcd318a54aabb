// The SDK's session lifecycle with test drivers around real host processes: the closing
// protocol, exit after clean-up, exactly-once delivery, the tool-missing mapping and the shared
// worker pool.
#include <gtest/gtest.h>
#include <berth/sdk/runtime_session.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::sdk {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

// What the host's sink saw.
struct recorder {
    std::mutex mutex;
    std::condition_variable changed;
    std::string out, err;
    int exits = 0;
    exit_status last;
    std::vector<std::string> events;  // "exit", interleaved with the driver's events

    berth_session_sink sink() {
        berth_session_sink s{};
        s.struct_size = sizeof s;
        s.ctx = this;
        s.on_output = [](void* ctx, berth_stream stream, const std::uint8_t* data,
                         std::uint32_t n) {
            auto* r = static_cast<recorder*>(ctx);
            std::lock_guard lock(r->mutex);
            (stream == BERTH_STREAM_STDERR ? r->err : r->out)
                .append(reinterpret_cast<const char*>(data), n);
        };
        s.on_exit = [](void* ctx, const berth_exit_status* e) {
            auto* r = static_cast<recorder*>(ctx);
            std::lock_guard lock(r->mutex);
            ++r->exits;
            r->last = {e->exit_code, e->term_signal, e->failed != 0,
                       e->reason == nullptr ? "" : e->reason};
            r->events.emplace_back("exit");
            r->changed.notify_all();
        };
        return s;
    }
    void note(std::string event) {
        std::lock_guard lock(mutex);
        events.push_back(std::move(event));
    }
};

class test_driver : public session_driver {
public:
    test_driver(std::vector<std::string> argv, recorder& r, bool tty = false)
        : argv_(std::move(argv)), rec_(r), tty_(tty) {}
    session_plan prepare() override {
        session_plan plan;
        plan.process.argv = argv_;
        plan.process.tty = tty_;
        plan.target = "box";
        plan.install_hint = hint;
        plan.clean_up_bound = bound;
        plan.end_blocks = end_blocks;
        return plan;
    }
    void abandon() noexcept override { rec_.note("abandon"); }
    exit_status classify(const runtime_end& end) override {
        rec_.note(end.closing ? "classify closing" : "classify");
        exit_status s = end.process;
        s.reason = "tail=" + end.tail;
        return s;
    }
    void clean_up(exit_status&, const runtime_end&) override {
        std::this_thread::sleep_for(clean_up_time);
        rec_.note("clean_up");
    }
    std::string hint;
    std::chrono::milliseconds clean_up_time{0};
    std::chrono::milliseconds bound{10000};
    bool end_blocks = true;

private:
    std::vector<std::string> argv_;
    recorder& rec_;
    bool tty_;
};

TEST(RuntimeSession, ExitComesOnceAfterClassifyAndCleanUp) {
    session_runtime rt{host_services{}};
    recorder rec;
    const berth_session_sink c = rec.sink();
    auto driver = std::make_unique<test_driver>(
        std::vector<std::string>{"sh", "-c", "echo out; echo oops >&2; exit 3"}, rec);
    driver->clean_up_time = 100ms;
    auto s = rt.open(std::move(driver), session_sink(&c));
    EXPECT_EQ(s->target(), "box");
    EXPECT_FALSE(s->tty());
    s->close(2000ms);  // the command may have ended already: close waits for the clean-up
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.exits, 1);
    ASSERT_EQ(rec.events.size(), 3U);
    EXPECT_EQ(rec.events[1], "clean_up");
    EXPECT_EQ(rec.events[2], "exit");
    EXPECT_EQ(rec.out, "out\n");
    EXPECT_EQ(rec.err, "oops\n");
    EXPECT_EQ(rec.last.reason, "tail=oops\n");
}

TEST(RuntimeSession, AnEndThatNeverBlocksIsDeliveredWithoutAWorker) {
    session_runtime rt{host_services{}};
    recorder rec;
    const berth_session_sink c = rec.sink();
    auto d = std::make_unique<test_driver>(std::vector<std::string>{"sh", "-c", "exit 5"}, rec);
    d->end_blocks = false;
    auto s = rt.open(std::move(d), session_sink(&c));
    s->close(2000ms);
    EXPECT_EQ(rt.workers().threads(), 0U);
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.exits, 1);
    EXPECT_EQ(rec.last.exit_code, 5);
}

TEST(RuntimeSession, CloseEndsAShellReadingItsInputWithExitZeroFirst) {
    for (const bool tty : {false, true}) {
        session_runtime rt{host_services{}};
        recorder rec;
        const berth_session_sink c = rec.sink();
        auto s = rt.open(std::make_unique<test_driver>(std::vector<std::string>{"sh"}, rec, tty),
                         session_sink(&c));
        std::this_thread::sleep_for(200ms);  // at its prompt
        const auto start = clock::now();
        s->close(k_default_grace);
        EXPECT_LT(clock::now() - start, 1s) << (tty ? "tty" : "pipes");
        std::lock_guard lock(rec.mutex);
        EXPECT_EQ(rec.last.exit_code, 0) << (tty ? "tty" : "pipes");
        EXPECT_EQ(rec.last.term_signal, 0);
        EXPECT_EQ(rec.events.front(), "classify closing");
    }
}

TEST(RuntimeSession, GraceIsCountedFromTheCallThenSigkill) {
    session_runtime rt{host_services{}};
    recorder rec;
    const berth_session_sink c = rec.sink();
    auto s = rt.open(std::make_unique<test_driver>(
                         std::vector<std::string>{"sh", "-c", "trap '' TERM; sleep 30"}, rec),
                     session_sink(&c));
    std::this_thread::sleep_for(100ms);
    const auto start = clock::now();
    s->close(300ms);
    const auto took = clock::now() - start;
    EXPECT_GE(took, 290ms);
    EXPECT_LT(took, 1500ms);
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.last.term_signal, SIGKILL);
    EXPECT_EQ(rec.last.exit_code, -1);
}

// A driver that reaches the command itself, and records what it was asked to send.
class stopping_driver final : public test_driver {
public:
    using test_driver::test_driver;
    stop_result stop(int signo, process_session& p) override {
        sent.push_back(signo);
        p.signal_group(signo);
        return stop_result::reached;
    }
    exit_status classify(const runtime_end& end) override {
        runtime_signalled = end.runtime_signalled;
        return test_driver::classify(end);
    }
    std::vector<int> sent;
    bool runtime_signalled = true;
};

TEST(RuntimeSession, CloseSignalsThroughTheDriver) {
    session_runtime rt{host_services{}};
    recorder rec;
    const berth_session_sink c = rec.sink();
    auto d = std::make_unique<stopping_driver>(std::vector<std::string>{"sleep", "30"}, rec);
    auto* driver = d.get();
    auto s = rt.open(std::move(d), session_sink(&c));
    s->close(1000ms);
    EXPECT_EQ(driver->sent, std::vector<int>{SIGTERM});
    EXPECT_FALSE(driver->runtime_signalled);
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.last.term_signal, SIGTERM);
}

// A command that shows up late (a container still being created): the driver says not_yet,
// the SDK asks again instead of signalling the runtime.
class late_driver final : public test_driver {
public:
    using test_driver::test_driver;
    stop_result stop(int signo, process_session& p) override {
        if (++asked < 3) return stop_result::not_yet;
        p.signal_group(signo);
        return stop_result::reached;
    }
    exit_status classify(const runtime_end& end) override {
        runtime_signalled = end.runtime_signalled;
        return test_driver::classify(end);
    }
    int asked = 0;
    bool runtime_signalled = true;
};

TEST(RuntimeSession, ANotYetAnswerIsAskedAgainWithinTheGracePeriod) {
    session_runtime rt{host_services{}};
    recorder rec;
    const berth_session_sink c = rec.sink();
    auto d = std::make_unique<late_driver>(std::vector<std::string>{"sleep", "30"}, rec);
    auto* driver = d.get();
    auto s = rt.open(std::move(d), session_sink(&c));
    s->close(2000ms);
    EXPECT_EQ(driver->asked, 3);
    EXPECT_FALSE(driver->runtime_signalled);
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.last.term_signal, SIGTERM);
}

// The ABI lets a host destroy a handle from inside its own on_exit.
TEST(RuntimeSession, AHandleMayBeDestroyedFromItsOwnOnExit) {
    session_runtime rt{host_services{}};
    struct holder {
        std::unique_ptr<runtime_session> session;
        std::mutex mutex;
        std::condition_variable changed;
        bool destroyed = false;
    } h;
    berth_session_sink c{};
    c.struct_size = sizeof c;
    c.ctx = &h;
    c.on_exit = [](void* ctx, const berth_exit_status*) {
        auto* self = static_cast<holder*>(ctx);
        std::unique_ptr<runtime_session> mine;
        {
            std::lock_guard lock(self->mutex);
            mine = std::move(self->session);
        }
        mine.reset();
        std::lock_guard lock(self->mutex);
        self->destroyed = true;
        self->changed.notify_all();
    };
    recorder rec;
    {
        std::lock_guard lock(h.mutex);
        h.session = rt.open(
            std::make_unique<test_driver>(std::vector<std::string>{"sh", "-c", "sleep 0.2"}, rec),
            session_sink(&c));
    }
    std::unique_lock lock(h.mutex);
    EXPECT_TRUE(h.changed.wait_for(lock, 5s, [&] { return h.destroyed; }));
}

TEST(RuntimeSession, AMissingToolIsUnavailableWithTheHintAndAbandoned) {
    session_runtime rt{host_services{}};
    recorder rec;
    const berth_session_sink c = rec.sink();
    auto d = std::make_unique<test_driver>(std::vector<std::string>{"berth-no-such-runtime"}, rec);
    d->hint = "install the berth-no-such-runtime package";
    try {
        (void)rt.open(std::move(d), session_sink(&c));
        FAIL();
    } catch (const error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_UNAVAILABLE);
        EXPECT_NE(std::string(e.what()).find("install the berth-no-such-runtime package"),
                  std::string::npos)
            << e.what();
    }
    // Without a hint the argv is the user's own command.
    try {
        (void)rt.open(
            std::make_unique<test_driver>(std::vector<std::string>{"berth-no-such-cmd"}, rec),
            session_sink(&c));
        FAIL();
    } catch (const error& e) {
        EXPECT_EQ(e.status(), BERTH_ERR_COMMAND_NOT_FOUND);
    }
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.events, (std::vector<std::string>{"abandon", "abandon"}));
    EXPECT_EQ(rec.exits, 0);
}

TEST(RuntimeSession, SignalNumbersAreChecked) {
    session_runtime rt{host_services{}};
    recorder rec;
    const berth_session_sink c = rec.sink();
    auto s = rt.open(std::make_unique<test_driver>(std::vector<std::string>{"sleep", "30"}, rec),
                     session_sink(&c));
    for (const int bad : {0, -1, NSIG, 1000}) {
        try {
            s->signal(bad);
            FAIL() << bad;
        } catch (const error& e) {
            EXPECT_EQ(e.status(), BERTH_ERR_INVALID_ARGUMENT);
        }
    }
    s->signal(SIGUSR1);
    s->close(1000ms);
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.last.term_signal, SIGUSR1);
}

TEST(RuntimeSession, ManySessionsShareAFewWorkers) {
    session_runtime rt{host_services{}};
    recorder rec;
    const berth_session_sink c = rec.sink();
    std::vector<std::unique_ptr<runtime_session>> sessions;
    for (int i = 0; i < 24; ++i) {
        auto d = std::make_unique<test_driver>(std::vector<std::string>{"true"}, rec);
        d->clean_up_time = 50ms;
        sessions.push_back(rt.open(std::move(d), session_sink(&c)));
    }
    for (auto& s : sessions) s->close(1000ms);
    EXPECT_LE(rt.workers().threads(), worker_pool::k_default_threads);
    std::lock_guard lock(rec.mutex);
    EXPECT_EQ(rec.exits, 24);
}

TEST(WorkerPool, IdleThreadsEndAndNewWorkStartsThemAgain) {
    worker_pool pool(2, 100ms);
    std::atomic<int> done{0};
    for (int i = 0; i < 4; ++i) pool.post([&done] { ++done; });
    const auto settled = [&](std::size_t threads) {
        for (int i = 0; i < 200 && (done < 4 || pool.threads() != threads); ++i)
            std::this_thread::sleep_for(10ms);
        return pool.threads() == threads;
    };
    EXPECT_TRUE(settled(0)) << pool.threads() << " threads still there";
    EXPECT_EQ(done, 4);
    pool.post([&done] { ++done; });
    for (int i = 0; i < 200 && done < 5; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(done, 5);
}

// A clean-up that overruns its bound: the handle's destruction does not wait for it, and its
// exit never reaches the host afterwards.
TEST(RuntimeSession, NoCallbackAfterDestroyEvenWhenCleanUpOverruns) {
    recorder rec;
    const berth_session_sink c = rec.sink();
    {
        session_runtime rt{host_services{}};
        auto d = std::make_unique<test_driver>(std::vector<std::string>{"true"}, rec);
        d->clean_up_time = 800ms;
        d->bound = 100ms;
        auto s = rt.open(std::move(d), session_sink(&c));
        const auto start = clock::now();
        s.reset();
        EXPECT_LT(clock::now() - start, 700ms);
        std::this_thread::sleep_for(1000ms);  // the clean-up finishes meanwhile
        std::lock_guard lock(rec.mutex);
        EXPECT_EQ(rec.exits, 0);
        EXPECT_EQ(rec.events.back(), "clean_up");
    }  // the runtime joins its workers: nothing left running
}

}  // namespace
}  // namespace berth::sdk
