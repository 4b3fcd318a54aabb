#include <berth/registry/session_store.hpp>

#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <berth/registry/metrics_store.hpp>
#include <berth/registry/registry.hpp>

namespace berth::registry {
namespace {

session_record named(std::string id) {
    session_record r;
    r.id = std::move(id);
    r.plugin = "berth-test";
    return r;
}

TEST(SessionStore, GeneratesWellFormedUniqueIds) {
    session_store store;
    const re2::RE2 shape("s-[0-9a-f]{12}");
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
        const auto entry = store.add(session_record{}, 16);
        EXPECT_TRUE(re2::RE2::FullMatch(entry->id(), shape)) << entry->id();
        EXPECT_EQ(entry->snapshot().id, entry->id());
        ids.insert(entry->id());
    }
    EXPECT_EQ(ids.size(), 1000U);
    EXPECT_EQ(store.size(), 1000U);
}

TEST(SessionStore, GeneratesUniqueIdsFromManyThreads) {
    session_store store;
    constexpr int k_threads = 4;
    constexpr int k_each = 250;
    std::mutex ids_mutex;
    std::set<std::string> ids;
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < k_each; ++i) {
                const auto id = store.add(session_record{}, 16)->id();
                const std::lock_guard lock(ids_mutex);
                ids.insert(id);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(ids.size(), std::size_t{k_threads * k_each});
    EXPECT_EQ(store.size(), std::size_t{k_threads * k_each});
}

TEST(SessionStore, KeepsGivenIdAndRejectsDuplicates) {
    session_store store;
    const auto entry = store.add(named("mine"), 16);
    EXPECT_EQ(entry->id(), "mine");
    EXPECT_THROW((void)store.add(named("mine"), 16), std::invalid_argument);
    EXPECT_EQ(store.size(), 1U);
    EXPECT_EQ(store.find("mine"), entry);  // the original is untouched
}

TEST(SessionStore, FindsAndRemoves) {
    session_store store;
    const auto a = store.add(named("a"), 16);
    const auto b = store.add(named("b"), 16);
    EXPECT_EQ(store.find("a"), a);
    EXPECT_EQ(store.find("b"), b);
    EXPECT_EQ(store.find("c"), nullptr);

    EXPECT_TRUE(store.remove("a"));
    EXPECT_FALSE(store.remove("a"));
    EXPECT_EQ(store.find("a"), nullptr);
    EXPECT_EQ(store.size(), 1U);
    ASSERT_EQ(store.list().size(), 1U);
    EXPECT_EQ(store.list()[0].id, "b");

    // A removed entry stays usable by whoever still holds it, and its id can be reused.
    a->append_output(stream::out, "still here");
    EXPECT_EQ(a->end_offset(), 10U);
    EXPECT_NE(store.add(named("a"), 16), a);
}

TEST(SessionStore, ListsInCreationOrder) {
    session_store store;
    (void)store.add(named("zeta"), 16);
    (void)store.add(named("alpha"), 16);
    (void)store.add(named("mid"), 16);
    (void)store.remove("alpha");
    (void)store.add(named("beta"), 16);
    const auto list = store.list();
    ASSERT_EQ(list.size(), 3U);
    EXPECT_EQ(list[0].id, "zeta");
    EXPECT_EQ(list[1].id, "mid");
    EXPECT_EQ(list[2].id, "beta");
}

TEST(SessionStore, ListReturnsCurrentState) {
    session_store store;
    const auto e = store.add(named("x"), 16);
    e->mark_running(77);
    const auto list = store.list();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0].state, session_state::running);
    EXPECT_EQ(list[0].pid, 77);
}

TEST(SessionStore, SetsCreationTimeOnlyWhenUnset) {
    session_store store;
    const auto before = clock::now();
    const auto fresh = store.add(named("fresh"), 16);
    EXPECT_GE(fresh->snapshot().created, before);
    EXPECT_LE(fresh->snapshot().created, clock::now());

    auto given = named("given");
    given.created = clock::time_point{std::chrono::seconds{1'000'000}};
    EXPECT_EQ(store.add(given, 16)->snapshot().created, given.created);
}

TEST(SessionStore, EntriesFeedTheStoresMetrics) {
    metrics_store metrics;
    session_store store(&metrics);
    const auto e = store.add(named("m"), 16);
    e->append_output(stream::out, "12345");
    e->count_input(2);
    const auto pm = metrics.get("berth-test");
    ASSERT_TRUE(pm.has_value());
    EXPECT_EQ(pm->bytes_out, 5U);
    EXPECT_EQ(pm->bytes_in, 2U);
}

TEST(Registry, SessionsFeedRegistryMetrics) {
    registry reg;
    const auto e = reg.sessions().add(named("r"), 16);
    e->mark_running(1);
    e->append_output(stream::err, "abc");
    e->mark_ended({.exit_code = 0, .term_signal = 0, .reason = ""});
    const auto pm = reg.metrics().get("berth-test");
    ASSERT_TRUE(pm.has_value());
    EXPECT_EQ(pm->bytes_out, 3U);
    EXPECT_EQ(pm->sessions_opened, 1U);
    EXPECT_EQ(pm->sessions_active, 0U);
}

}  // namespace
}  // namespace berth::registry
