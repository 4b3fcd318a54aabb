// The lxd plugin's health check: is the server berth would use (BERTH_LXD_REMOTE, else the
// local socket) reachable and does it trust berth, which flavor and version it is, whether it
// has the API extensions berth relies on, and for a cluster each member's status.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <nlohmann/json.hpp>

namespace berth::plugins::lxd {

[[nodiscard]] sdk::health_report check_health();

// The report for a server's GET /1.0 and its cluster members (pure, for tests).
// `target` is the member sessions are placed on by default (BERTH_LXD_TARGET), empty for none:
// while it is not online the report is unhealthy.
[[nodiscard]] sdk::health_report report_for(const std::string& where, const nlohmann::json& server,
                                            const nlohmann::json& members,
                                            const std::string& target = {});

}  // namespace berth::plugins::lxd
