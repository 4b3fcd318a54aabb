// The LXC plugin's health check: undetected without the LXC tools; unhealthy when what
// lxc-checkconfig would complain about (cgroups, namespaces) or the lxcpath is unusable;
// healthy with the LXC version, lxcpath, cgroup layout and container counts as attributes.
// Every tool call is bounded, so a hung LXC reports unhealthy instead of hanging the check.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <string>

namespace berth::plugins::lxc {

[[nodiscard]] sdk::health_report check_health();

// "v2", "hybrid" (v1 controllers plus cgroup2 at /sys/fs/cgroup/unified), "v1", or "none".
[[nodiscard]] std::string cgroup_layout();

}  // namespace berth::plugins::lxc
