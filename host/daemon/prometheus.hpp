// Per-plugin metrics in the Prometheus text exposition format. Labelled by plugin and runtime
// only, never by session id, so the number of series stays bounded.
#pragma once

#include <berth/host/plugin.hpp>
#include <berth/registry/metrics_store.hpp>

#include <memory>
#include <string>
#include <vector>

namespace berth::daemon {

[[nodiscard]] std::string prometheus_text(const std::vector<registry::plugin_metrics>& metrics,
                                          const std::vector<std::shared_ptr<host::plugin>>& active);

}  // namespace berth::daemon
