// podman's health: is it installed, does it answer, and how is it set up.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace berth::plugins::podman {

// Together within BERTH_HEALTH_BOUND_MS, with room for the host.
struct health_timeouts {
    std::chrono::milliseconds version{5000};
    std::chrono::milliseconds info{4000};
};

// What `podman info --format json` says about the set-up. Empty fields were not reported.
struct podman_info {
    std::string oci_runtime;
    std::string oci_runtime_version;  // first line of the runtime's own --version
    std::string storage_driver;
    std::string cgroup_manager;
    std::string cgroup_version;
    std::optional<bool> rootless;
};

// The client's version from `podman version --format json` ("Client.Version"), or the
// reason it cannot be read. Throws nothing.
struct version_result {
    std::string version;
    std::string problem;  // empty on success
};
[[nodiscard]] version_result parse_version_json(std::string_view json);

// The set-up from `podman info --format json`; nullopt (with problem set) if unreadable.
[[nodiscard]] std::optional<podman_info> parse_info_json(std::string_view json,
                                                         std::string& problem);

// Runs `binary version` then `binary info`, each bounded: UNDETECTED when the binary is not
// installed, UNHEALTHY (with podman's own message) when either fails or times out, HEALTHY
// with the version, OCI runtime, storage driver, cgroup manager and rootless attributes.
[[nodiscard]] sdk::health_report check_health(const std::string& binary = "podman",
                                              health_timeouts timeouts = {});

}  // namespace berth::plugins::podman
