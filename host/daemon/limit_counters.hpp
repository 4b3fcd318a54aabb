// How often each of berthd's limits was hit, for metrics.get: a limit that is hit is reported
// (in the log as it happens, and here as a running count), never silently absorbed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth::daemon {

enum class limit : std::uint8_t {
    max_connections,
    max_blocking_calls,
    max_frame_bytes,
    stall_timeout,
    unauthorized,
    accept_error,
    count_,  // not a limit: how many there are
};

class limit_counters {
public:
    void hit(limit l) noexcept { counts_[static_cast<std::size_t>(l)].fetch_add(1); }
    [[nodiscard]] std::uint64_t count(limit l) const noexcept {
        return counts_[static_cast<std::size_t>(l)].load();
    }
    // berthd_limit_hits_total{limit="..."} in the Prometheus text format.
    [[nodiscard]] std::string prometheus_text() const;

private:
    static constexpr std::size_t k_limits = static_cast<std::size_t>(limit::count_);
    std::array<std::atomic<std::uint64_t>, k_limits> counts_{};
};

[[nodiscard]] std::string_view to_string(limit l) noexcept;

}  // namespace berth::daemon
