// The shared registry: per-plugin health and usage metrics, fed by plugins and by the
// sessions' entries. Sessions themselves are the host's (host::host keeps the only map of
// them); each holds its session_entry, which counts into these metrics.
#pragma once

#include <berth/registry/metrics_store.hpp>

namespace berth::registry {

class registry {
public:
    [[nodiscard]] metrics_store& metrics() noexcept { return metrics_; }
    [[nodiscard]] const metrics_store& metrics() const noexcept { return metrics_; }

private:
    metrics_store metrics_;
};

}  // namespace berth::registry
