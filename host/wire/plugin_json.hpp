// Plugin reports as JSON: `berth plugin ls --format json` and berthd's plugin.list.
#pragma once

#include <berth/host/host.hpp>

#include <nlohmann/json.hpp>

namespace berth::wire {

[[nodiscard]] nlohmann::json to_json(const host::plugin_report& r);

}  // namespace berth::wire
