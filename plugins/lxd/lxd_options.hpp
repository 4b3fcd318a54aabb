// The lxd plugin's session options: the JSON Schema the host validates against, and the typed
// struct every other part of the plugin reads. Pure: nothing here talks to a server.
//
// A session runs in one of two modes, chosen by which option names the instance:
//   exec    `instance`  an existing instance (it must be running)
//   launch  `image`     a new instance from an image (optionally on member `target`), deleted
//                       when the session ends, and marked with the host's owner token so that
//                       reclaim_owned finds it after a crash
// The server is `remote`: a Unix socket path, or https://HOST[:PORT] with a client certificate
// the server trusts. Defaults come from the environment (BERTH_LXD_REMOTE, ...), so the health
// check and every session look at the same server unless a session says otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lxd_endpoint.hpp"

namespace berth::plugins::lxd {

enum class session_mode { exec, launch };

struct lxd_options {
    endpoint remote;
    std::string project = "default";
    session_mode mode = session_mode::exec;
    std::string instance;                  // exec: the instance to enter
    std::string image;                     // launch: an image alias or fingerprint on the server
    std::string target;                    // launch: the cluster member to place the instance on
    std::string target_source = "target";  // or BERTH_LXD_TARGET, for messages
    std::vector<std::string> profiles{"default"};
    std::map<std::string, std::string> config;  // launch: instance config (security.privileged)

    std::vector<std::string> command;  // empty: /bin/sh
    bool tty = false;
    std::uint16_t rows = 24;
    std::uint16_t cols = 80;
    std::map<std::string, std::string> env;
    std::optional<std::uint32_t> user;   // uid in the instance
    std::optional<std::uint32_t> group;  // gid in the instance
    std::string cwd;

    std::chrono::milliseconds request_timeout{30000};  // each REST call
    std::chrono::milliseconds launch_timeout{120000};  // creating and starting an instance
};

// The environment variables that give the defaults of remote, client_cert, client_key,
// server_cert and project.
inline constexpr std::string_view k_env_remote = "BERTH_LXD_REMOTE";
inline constexpr std::string_view k_env_client_cert = "BERTH_LXD_CLIENT_CERT";
inline constexpr std::string_view k_env_client_key = "BERTH_LXD_CLIENT_KEY";
inline constexpr std::string_view k_env_server_cert = "BERTH_LXD_SERVER_CERT";
inline constexpr std::string_view k_env_project = "BERTH_LXD_PROJECT";
// The member launch-mode sessions are placed on when they name none; the health check turns
// unhealthy while it is not online.
inline constexpr std::string_view k_env_target = "BERTH_LXD_TARGET";

// The instance config key that carries the host's owner token, and the one with the session's.
inline constexpr std::string_view k_owner_key = "user.berth.owner";
inline constexpr std::string_view k_session_key = "user.berth.session";

// NUL-terminated, built on first use, valid as long as the program runs.
[[nodiscard]] std::string_view options_schema();

// Validates options_json against the schema and the rules between options; certificate and
// key files are read here, so a missing one is named before anything is created. Throws
// sdk::error(BERTH_ERR_INVALID_ARGUMENT) naming the option and what was expected.
[[nodiscard]] lxd_options parse_options(std::string_view options_json);

// The server the environment names (BERTH_LXD_REMOTE and friends, else LXD's local socket):
// what the health check and reclaim_owned look at. Throws like parse_options, naming the
// variable.
[[nodiscard]] endpoint default_endpoint();
// BERTH_LXD_PROJECT, else "default"; BERTH_LXD_TARGET, else empty.
[[nodiscard]] std::string default_project();
[[nodiscard]] std::string default_target();

// True if `name` can name an instance: 1 to 63 letters, digits and '-', not starting with a
// digit or '-', not ending with '-' (LXD's rule, a host name label).
[[nodiscard]] bool valid_instance_name(std::string_view name) noexcept;

}  // namespace berth::plugins::lxd
