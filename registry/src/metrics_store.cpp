#include <berth/registry/metrics_store.hpp>

namespace berth::registry {

std::string_view to_string(health_state s) noexcept {
    switch (s) {
        case health_state::unknown:
            return "unknown";
        case health_state::healthy:
            return "healthy";
        case health_state::unhealthy:
            return "unhealthy";
        case health_state::undetected:
            return "undetected";
    }
    return "unknown";
}

plugin_metrics& metrics_store::entry(std::string_view plugin) {
    auto it = plugins_.find(plugin);
    if (it == plugins_.end()) {
        plugin_metrics fresh;
        fresh.plugin = plugin;
        it = plugins_.emplace(std::string(plugin), std::move(fresh)).first;
    }
    return it->second;
}

void metrics_store::add_plugin(std::string_view plugin, std::string_view runtime) {
    const std::lock_guard lock(mutex_);
    entry(plugin).runtime = runtime;
}

void metrics_store::record_check(std::string_view plugin, const health_check_result& result) {
    const auto now = std::chrono::system_clock::now();
    const std::lock_guard lock(mutex_);
    auto& m = entry(plugin);
    const health_state previous = m.state;

    m.state = result.state;
    m.detail = result.detail;
    m.attributes = result.attributes;
    m.last_check = now;
    m.last_latency = result.latency;
    ++m.checks_total;
    m.consecutive_failures = result.state == health_state::healthy ? 0 : m.consecutive_failures + 1;

    if (result.state != previous) {
        m.transitions.push_back({now, previous, result.state, result.detail});
        while (m.transitions.size() > k_max_transitions) {
            m.transitions.pop_front();
        }
    }
}

void metrics_store::session_opened(std::string_view plugin) {
    const std::lock_guard lock(mutex_);
    auto& m = entry(plugin);
    ++m.sessions_opened;
    ++m.sessions_active;
}

void metrics_store::session_open_failed(std::string_view plugin) {
    const std::lock_guard lock(mutex_);
    ++entry(plugin).sessions_failed;
}

void metrics_store::session_ended(std::string_view plugin) {
    const std::lock_guard lock(mutex_);
    auto& m = entry(plugin);
    // An end reported twice (or for a session opened before a restart) must not wrap the
    // unsigned gauge around to 2^64 - 1.
    if (m.sessions_active > 0) {
        --m.sessions_active;
    }
}

void metrics_store::add_bytes(std::string_view plugin, std::uint64_t in, std::uint64_t out) {
    const std::lock_guard lock(mutex_);
    auto& m = entry(plugin);
    m.bytes_in += in;
    m.bytes_out += out;
}

void metrics_store::add_counter(std::string_view plugin, std::string_view name, double delta) {
    const std::lock_guard lock(mutex_);
    auto& counters = entry(plugin).counters;
    auto it = counters.find(name);
    if (it == counters.end()) {
        counters.emplace(std::string(name), delta);
    } else {
        it->second += delta;
    }
}

void metrics_store::set_gauge(std::string_view plugin, std::string_view name, double value) {
    const std::lock_guard lock(mutex_);
    auto& gauges = entry(plugin).gauges;
    auto it = gauges.find(name);
    if (it == gauges.end()) {
        gauges.emplace(std::string(name), value);
    } else {
        it->second = value;
    }
}

std::optional<plugin_metrics> metrics_store::get(std::string_view plugin) const {
    const std::lock_guard lock(mutex_);
    const auto it = plugins_.find(plugin);
    if (it == plugins_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<plugin_metrics> metrics_store::snapshot() const {
    const std::lock_guard lock(mutex_);
    std::vector<plugin_metrics> out;
    out.reserve(plugins_.size());
    for (const auto& [name, m] : plugins_) {
        out.push_back(m);
    }
    return out;
}

}  // namespace berth::registry
