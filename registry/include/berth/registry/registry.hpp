// The shared registry: sessions and per-plugin metrics, owned together so sessions can feed
// their plugin's counters.
#pragma once

#include <berth/registry/metrics_store.hpp>
#include <berth/registry/session_store.hpp>

namespace berth::registry {

class registry {
public:
    registry() : sessions_(&metrics_) {}

    [[nodiscard]] session_store& sessions() noexcept { return sessions_; }
    [[nodiscard]] const session_store& sessions() const noexcept { return sessions_; }
    [[nodiscard]] metrics_store& metrics() noexcept { return metrics_; }
    [[nodiscard]] const metrics_store& metrics() const noexcept { return metrics_; }

private:
    metrics_store metrics_;  // declared first: sessions hold a pointer to it
    session_store sessions_;
};

}  // namespace berth::registry
