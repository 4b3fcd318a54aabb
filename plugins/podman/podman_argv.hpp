// podman argvs from typed options. Pure functions: nothing here spawns or looks at the host,
// so every option's mapping is unit-tested.
//
// Every value goes in the `--flag=value` form, so a value starting with '-' can never be read
// as a flag. The image or container name is the one positional before the command; options
// reject a leading '-' there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "podman_options.hpp"

namespace berth::plugins::podman {

// What makes one session unique: the token in its processes' environment, and in run mode
// the container's name (the `name` option, or berth-<token>) and its owner.
struct session_ids {
    std::string token;
    std::string name;     // run mode only
    std::string owner{};  // run mode: the host's owner token for BERTH_OWNER_LABEL; may be empty
};

// `podman [global flags]`: the binary and the flags that pick and tune the podman service.
[[nodiscard]] std::vector<std::string> podman_prefix(const podman_options& options);

// The session's argv: `podman ... run --rm -i ...` or `podman ... exec -i ...`.
[[nodiscard]] std::vector<std::string> session_argv(const podman_options& options,
                                                    const session_ids& ids);

// Force-removes a run-mode container now (no stop timeout); no error if it is already gone.
[[nodiscard]] std::vector<std::string> remove_argv(const podman_options& options,
                                                   std::string_view name);

// Prints the container's state ("running", "exited", ...); fails when there is no such
// container.
[[nodiscard]] std::vector<std::string> state_argv(const podman_options& options,
                                                  std::string_view name);

// The names of every container (running or not) labelled k_session_label=token, one a line.
[[nodiscard]] std::vector<std::string> session_list_argv(const podman_options& options,
                                                         std::string_view token);

// The names of every container (running or not) labelled BERTH_OWNER_LABEL=owner, one a line.
[[nodiscard]] std::vector<std::string> owned_list_argv(const podman_options& options,
                                                       std::string_view owner);

// A fresh random token of 12 lowercase hex digits.
[[nodiscard]] std::string new_token();

}  // namespace berth::plugins::podman
