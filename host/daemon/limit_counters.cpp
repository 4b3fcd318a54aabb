#include "limit_counters.hpp"

namespace berth::daemon {

std::string_view to_string(limit l) noexcept {
    switch (l) {
        case limit::max_connections:
            return "max_connections";
        case limit::max_blocking_calls:
            return "max_blocking_calls";
        case limit::max_frame_bytes:
            return "max_frame_bytes";
        case limit::stall_timeout:
            return "stall_timeout_ms";
        case limit::unauthorized:
            return "unauthorized_peer";
        case limit::accept_error:
            return "accept_error";
        case limit::count_:
            break;
    }
    return "unknown";
}

std::string limit_counters::prometheus_text() const {
    std::string o =
        "# HELP berthd_limit_hits_total Times a client hit one of berthd's limits (docs/api.md)\n"
        "# TYPE berthd_limit_hits_total counter\n";
    for (std::size_t i = 0; i < k_limits; ++i)
        o += "berthd_limit_hits_total{limit=\"" + std::string(to_string(static_cast<limit>(i))) +
             "\"} " + std::to_string(counts_[i].load()) + "\n";
    return o;
}

}  // namespace berth::daemon
