// Health and usage metrics per plugin, shared by every front end and fed by plugins.
// Thread-safe. Keyed by plugin name; the runtime id is kept as a label.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::registry {

enum class health_state : std::uint8_t { unknown = 0, healthy = 1, unhealthy = 2, undetected = 3 };

[[nodiscard]] std::string_view to_string(health_state s) noexcept;

struct health_transition {
    std::chrono::system_clock::time_point at{};
    health_state from = health_state::unknown;
    health_state to = health_state::unknown;
    std::string detail;
};

struct health_check_result {
    health_state state = health_state::unknown;
    std::string detail;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::chrono::nanoseconds latency{};
};

struct plugin_metrics {
    std::string plugin;
    std::string runtime;

    health_state state = health_state::unknown;
    std::string detail;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::optional<std::chrono::system_clock::time_point> last_check;
    std::chrono::nanoseconds last_latency{};
    std::uint64_t checks_total = 0;
    std::uint64_t consecutive_failures = 0;     // checks in a row not healthy
    std::deque<health_transition> transitions;  // newest last, at most k_max_transitions

    std::uint64_t sessions_opened = 0;
    std::uint64_t sessions_failed = 0;
    std::uint64_t sessions_active = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;

    std::map<std::string, double, std::less<>> counters;  // pushed by the plugin
    std::map<std::string, double, std::less<>> gauges;    // pushed by the plugin
};

class metrics_store {
public:
    static constexpr std::size_t k_max_transitions = 32;

    // Makes the plugin known (idempotent). Other calls on an unknown plugin register it too.
    void add_plugin(std::string_view plugin, std::string_view runtime);

    // Records a check; appends a transition when the state changed.
    void record_check(std::string_view plugin, const health_check_result& result);

    void session_opened(std::string_view plugin);       // opened += 1, active += 1
    void session_open_failed(std::string_view plugin);  // failed += 1
    void session_ended(std::string_view plugin);        // active -= 1 (never below 0)
    void add_bytes(std::string_view plugin, std::uint64_t in, std::uint64_t out);

    void add_counter(std::string_view plugin, std::string_view name, double delta);
    void set_gauge(std::string_view plugin, std::string_view name, double value);

    [[nodiscard]] std::optional<plugin_metrics> get(std::string_view plugin) const;
    [[nodiscard]] std::vector<plugin_metrics> snapshot() const;  // ordered by plugin name

private:
    plugin_metrics& entry(std::string_view plugin);  // mutex_ held

    mutable std::mutex mutex_;
    std::map<std::string, plugin_metrics, std::less<>> plugins_;
};

}  // namespace berth::registry
