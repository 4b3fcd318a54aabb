#include <berth/registry/metrics_store.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

using namespace std::chrono_literals;

health_check_result check(health_state state, std::string detail = {}) {
    health_check_result r;
    r.state = state;
    r.detail = std::move(detail);
    r.latency = 5ms;
    return r;
}

TEST(MetricsStore, NamesHealthStates) {
    EXPECT_EQ(to_string(health_state::unknown), "unknown");
    EXPECT_EQ(to_string(health_state::healthy), "healthy");
    EXPECT_EQ(to_string(health_state::unhealthy), "unhealthy");
    EXPECT_EQ(to_string(health_state::undetected), "undetected");
}

TEST(MetricsStore, UnknownPluginHasNoMetrics) {
    const metrics_store m;
    EXPECT_FALSE(m.get("nope").has_value());
    EXPECT_TRUE(m.snapshot().empty());
}

TEST(MetricsStore, AddPluginIsIdempotentAndKeepsRuntime) {
    metrics_store m;
    m.add_plugin("berth-podman", "podman");
    m.session_opened("berth-podman");
    m.add_plugin("berth-podman", "podman");
    const auto pm = m.get("berth-podman");
    ASSERT_TRUE(pm.has_value());
    EXPECT_EQ(pm->plugin, "berth-podman");
    EXPECT_EQ(pm->runtime, "podman");
    EXPECT_EQ(pm->sessions_opened, 1U);  // not reset by the second add
    EXPECT_EQ(m.snapshot().size(), 1U);
}

TEST(MetricsStore, OtherCallsRegisterUnknownPlugins) {
    metrics_store m;
    m.add_bytes("lazy", 1, 2);
    const auto pm = m.get("lazy");
    ASSERT_TRUE(pm.has_value());
    EXPECT_EQ(pm->plugin, "lazy");
    EXPECT_TRUE(pm->runtime.empty());
    m.add_plugin("lazy", "lxc");
    EXPECT_EQ(m.get("lazy")->runtime, "lxc");
    EXPECT_EQ(m.get("lazy")->bytes_out, 2U);
}

TEST(MetricsStore, RecordsChecks) {
    metrics_store m;
    auto r = check(health_state::healthy, "ok");
    r.attributes = {{"version", "4.9"}};
    const auto before = std::chrono::system_clock::now();
    m.record_check("p", r);
    const auto pm = m.get("p");
    ASSERT_TRUE(pm.has_value());
    EXPECT_EQ(pm->state, health_state::healthy);
    EXPECT_EQ(pm->detail, "ok");
    ASSERT_EQ(pm->attributes.size(), 1U);
    EXPECT_EQ(pm->attributes[0].second, "4.9");
    ASSERT_TRUE(pm->last_check.has_value());
    EXPECT_GE(*pm->last_check, before);
    EXPECT_EQ(pm->last_latency, 5ms);
    EXPECT_EQ(pm->checks_total, 1U);
    EXPECT_EQ(pm->consecutive_failures, 0U);
    ASSERT_EQ(pm->transitions.size(), 1U);
    EXPECT_EQ(pm->transitions[0].from, health_state::unknown);
    EXPECT_EQ(pm->transitions[0].to, health_state::healthy);
    EXPECT_EQ(pm->transitions[0].detail, "ok");
}

TEST(MetricsStore, AppendsTransitionsOnlyOnChange) {
    metrics_store m;
    m.record_check("p", check(health_state::healthy));
    m.record_check("p", check(health_state::healthy));
    m.record_check("p", check(health_state::unhealthy, "down"));
    m.record_check("p", check(health_state::unhealthy, "still down"));
    m.record_check("p", check(health_state::healthy));
    const auto pm = m.get("p");
    ASSERT_EQ(pm->transitions.size(), 3U);
    EXPECT_EQ(pm->transitions[1].from, health_state::healthy);
    EXPECT_EQ(pm->transitions[1].to, health_state::unhealthy);
    EXPECT_EQ(pm->transitions[1].detail, "down");
    EXPECT_EQ(pm->transitions[2].to, health_state::healthy);
    EXPECT_EQ(pm->checks_total, 5U);
    EXPECT_EQ(pm->detail, "");
}

TEST(MetricsStore, BoundsTransitionsKeepingNewest) {
    metrics_store m;
    constexpr int k_checks = 100;
    for (int i = 0; i < k_checks; ++i) {
        m.record_check("p", check(i % 2 == 0 ? health_state::healthy : health_state::unhealthy,
                                  std::to_string(i)));
    }
    const auto pm = m.get("p");
    ASSERT_EQ(pm->transitions.size(), metrics_store::k_max_transitions);
    EXPECT_EQ(pm->transitions.back().detail, std::to_string(k_checks - 1));
    EXPECT_EQ(pm->transitions.front().detail,
              std::to_string(k_checks - static_cast<int>(metrics_store::k_max_transitions)));
    for (std::size_t i = 1; i < pm->transitions.size(); ++i) {
        EXPECT_LE(pm->transitions[i - 1].at, pm->transitions[i].at);
        EXPECT_EQ(pm->transitions[i - 1].to, pm->transitions[i].from);
    }
}

TEST(MetricsStore, CountsConsecutiveFailures) {
    metrics_store m;
    m.record_check("p", check(health_state::unhealthy));
    m.record_check("p", check(health_state::undetected));
    m.record_check("p", check(health_state::unknown));
    EXPECT_EQ(m.get("p")->consecutive_failures, 3U);
    m.record_check("p", check(health_state::healthy));
    EXPECT_EQ(m.get("p")->consecutive_failures, 0U);
    m.record_check("p", check(health_state::unhealthy));
    EXPECT_EQ(m.get("p")->consecutive_failures, 1U);
}

TEST(MetricsStore, CountsSessions) {
    metrics_store m;
    m.session_opened("p");
    m.session_opened("p");
    m.session_open_failed("p");
    m.session_ended("p");
    auto pm = m.get("p");
    EXPECT_EQ(pm->sessions_opened, 2U);
    EXPECT_EQ(pm->sessions_failed, 1U);
    EXPECT_EQ(pm->sessions_active, 1U);
    m.session_ended("p");
    m.session_ended("p");  // one too many: clamps at zero
    pm = m.get("p");
    EXPECT_EQ(pm->sessions_active, 0U);
    EXPECT_EQ(pm->sessions_opened, 2U);
}

TEST(MetricsStore, AccumulatesBytesCountersAndGauges) {
    metrics_store m;
    m.add_bytes("p", 10, 20);
    m.add_bytes("p", 1, 2);
    m.add_counter("p", "restarts", 1);
    m.add_counter("p", "restarts", 2.5);
    m.set_gauge("p", "containers", 4);
    m.set_gauge("p", "containers", 3);
    const auto pm = m.get("p");
    EXPECT_EQ(pm->bytes_in, 11U);
    EXPECT_EQ(pm->bytes_out, 22U);
    EXPECT_DOUBLE_EQ(pm->counters.at("restarts"), 3.5);
    EXPECT_DOUBLE_EQ(pm->gauges.at("containers"), 3);
}

TEST(MetricsStore, SnapshotIsOrderedByPluginName) {
    metrics_store m;
    m.add_plugin("zz", "z");
    m.add_plugin("aa", "a");
    m.add_plugin("mm", "m");
    const auto all = m.snapshot();
    ASSERT_EQ(all.size(), 3U);
    EXPECT_EQ(all[0].plugin, "aa");
    EXPECT_EQ(all[1].plugin, "mm");
    EXPECT_EQ(all[2].plugin, "zz");
}

TEST(MetricsStore, ConcurrentUpdatesAreAllCounted) {
    metrics_store m;
    constexpr int k_threads = 4;
    constexpr int k_each = 5000;
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < k_each; ++i) {
                m.add_bytes("p", 1, 2);
                m.add_counter("p", "n", 1);
                m.record_check("p",
                               check(i % 3 == 0 ? health_state::healthy : health_state::unhealthy));
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    const auto pm = m.get("p");
    EXPECT_EQ(pm->bytes_in, std::uint64_t{k_threads * k_each});
    EXPECT_EQ(pm->bytes_out, std::uint64_t{2 * k_threads * k_each});
    EXPECT_DOUBLE_EQ(pm->counters.at("n"), k_threads * k_each);
    EXPECT_EQ(pm->checks_total, std::uint64_t{k_threads * k_each});
    EXPECT_LE(pm->transitions.size(), metrics_store::k_max_transitions);
}

}  // namespace
}  // namespace berth::registry
