// The host's map of sessions, the only one: ids, order, forgetting, failed opens kept as
// records, and sessions restored from their records alone (berthd's state file). Sessions of
// the scripted fake plugin have no process behind them, so these run in milliseconds.
#include <gtest/gtest.h>
#include <re2/re2.h>
#include <berth/host/host.hpp>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace berth::host {
namespace {
using namespace std::chrono_literals;

host scripted_host() {
    return host(host_options{
        .plugin_dirs = std::vector<std::filesystem::path>{BERTH_FAKE_PLUGIN_ROOT "/scripted"}});
}

std::shared_ptr<session> open(host& h) {
    auto s = h.open_session("scripted", R"({"command":["sh"]})");
    EXPECT_TRUE(s) << s.err().message;
    return s ? s.value() : nullptr;
}

registry::session_record ended_record(std::string id) {
    registry::session_record r;
    r.id = std::move(id);
    r.runtime = "local";
    r.plugin = "berth-local";
    r.state = registry::session_state::exited;
    r.exit_code = 3;
    return r;
}

std::vector<std::string> ids(const host& h) {
    std::vector<std::string> out;
    for (const auto& r : h.session_records()) out.push_back(r.id);
    return out;
}

TEST(HostSessions, IdsAreWellFormedAndUnique) {
    auto h = scripted_host();
    const re2::RE2 shape("s-[0-9a-f]{12}");
    std::set<std::string> seen;
    for (int i = 0; i < 500; ++i) {
        const auto s = open(h);
        ASSERT_TRUE(s);
        EXPECT_TRUE(re2::RE2::FullMatch(s->id(), shape)) << s->id();
        EXPECT_EQ(s->entry()->snapshot().id, s->id());
        seen.insert(s->id());
    }
    EXPECT_EQ(seen.size(), 500U);
    EXPECT_EQ(h.sessions().size(), 500U);
}

TEST(HostSessions, IdsAreUniqueAcrossThreads) {
    auto h = scripted_host();
    std::mutex m;
    std::set<std::string> seen;
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 100; ++i) {
                    const auto s = open(h);
                    if (!s) return;
                    const std::lock_guard lock(m);
                    seen.insert(s->id());
                }
            });
    }
    EXPECT_EQ(seen.size(), 400U);
    EXPECT_EQ(h.sessions().size(), 400U);
}

TEST(HostSessions, ListedInTheOrderTheyCameAndForgotten) {
    auto h = scripted_host();
    const auto a = open(h);
    const auto b = open(h);
    ASSERT_TRUE(h.restore_session(ended_record("s-restored")));
    const auto c = open(h);
    EXPECT_EQ(ids(h), (std::vector<std::string>{a->id(), b->id(), "s-restored", c->id()}));
    EXPECT_EQ(h.find_session(b->id()), b);

    h.forget_session(b->id());
    h.forget_session(b->id());  // once is all
    EXPECT_EQ(h.find_session(b->id()), nullptr);
    EXPECT_EQ(ids(h), (std::vector<std::string>{a->id(), "s-restored", c->id()}));
    // Whoever still holds a forgotten session may go on reading it.
    EXPECT_EQ(b->entry()->read(0, 10).joined(), "");
}

TEST(HostSessions, RecordsFollowTheirSessions) {
    auto h = scripted_host();
    const auto before = registry::clock::now();
    const auto s = open(h);
    auto records = h.session_records();
    ASSERT_EQ(records.size(), 1U);
    EXPECT_EQ(records[0].state, registry::session_state::running);
    EXPECT_GE(records[0].created, before);
    EXPECT_EQ(records[0].argv, std::vector<std::string>{"sh"});
    ASSERT_TRUE(s->close(1s));
    records = h.session_records();
    EXPECT_EQ(records[0].state, registry::session_state::closed);
    EXPECT_EQ(records[0].term_signal, 15);
}

TEST(HostSessions, AFailedOpenIsKeptAsAFailedRecord) {
    auto h = scripted_host();
    const auto r = h.open_session("scripted", R"({"command":["no-such-program"]})");
    ASSERT_FALSE(r);
    const auto records = h.session_records();
    ASSERT_EQ(records.size(), 1U);
    EXPECT_EQ(records[0].state, registry::session_state::failed);
    EXPECT_EQ(records[0].reason, "scripted: nothing answers to that name here");
    const auto s = h.find_session(records[0].id);
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->released());
    const auto w = s->write("x");
    ASSERT_FALSE(w);
    EXPECT_EQ(w.err().code, BERTH_ERR_STATE);
    EXPECT_TRUE(s->close(1s));  // nothing to end
    EXPECT_EQ(h.release_ended_sessions(), 0U);
    EXPECT_EQ(h.registry().metrics().get("berth-scripted")->sessions_failed, 1U);
}

// berthd's sessions across a restart: the host keeps the record, nothing reaches a plugin.
TEST(HostSessions, RestoredRecordsAreEndedSessionsWithoutAPlugin) {
    auto h = scripted_host();
    auto given = ended_record("s-0123456789ab");
    given.created = registry::clock::time_point{std::chrono::seconds{1'000'000}};
    const auto kept = h.restore_session(given);
    ASSERT_TRUE(kept) << kept.err().message;
    const auto s = kept.value();
    EXPECT_EQ(h.find_session("s-0123456789ab"), s);
    EXPECT_EQ(s->plugin(), nullptr);
    EXPECT_TRUE(s->released());
    const auto r = s->entry()->snapshot();
    EXPECT_EQ(r.state, registry::session_state::exited);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.created, given.created);
    for (const auto& result :
         {s->write("x"), s->close_input(), s->resize(10, 10), s->signal(SIGTERM)}) {
        ASSERT_FALSE(result);
        EXPECT_EQ(result.err().code, BERTH_ERR_STATE);
        EXPECT_EQ(result.err().message, "session s-0123456789ab has ended");
    }
    EXPECT_TRUE(s->close(1s));
    EXPECT_EQ(h.release_ended_sessions(), 0U);
}

TEST(HostSessions, RestoreRefusesATakenIdAndARecordThatIsNotFinal) {
    auto h = scripted_host();
    ASSERT_TRUE(h.restore_session(ended_record("s-mine")));
    const auto taken = h.restore_session(ended_record("s-mine"));
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.err().code, BERTH_ERR_STATE);
    auto running = ended_record("s-running");
    running.state = registry::session_state::running;
    const auto not_final = h.restore_session(running);
    ASSERT_FALSE(not_final);
    EXPECT_EQ(not_final.err().code, BERTH_ERR_INVALID_ARGUMENT);
    const auto no_id = h.restore_session(ended_record(""));
    ASSERT_FALSE(no_id);
    EXPECT_EQ(no_id.err().code, BERTH_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(ids(h), std::vector<std::string>{"s-mine"});
}

}  // namespace
}  // namespace berth::host
