// Options -> argv for the LXC tools. Pure functions: no process is spawned here, so every flag
// the plugin passes is covered by unit tests. Every flag was checked against LXC 5.0's tools
// (lxc-attach has no --cwd, --user, --unshare-*, --keep-capability; --keep-env takes no value).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lxc_options.hpp"

namespace berth::plugins::lxc {

using argv_t = std::vector<std::string>;

// lxc-attach -n TARGET [-P path] [flags] [-- command...]; no command: the login shell.
[[nodiscard]] argv_t attach_argv(const lxc_options& options, std::string_view target);

// lxc-copy -n TEMPLATE [-P path] -N NEW -e -B overlayfs: an ephemeral copy, started at once
// and destroyed by LXC when it stops.
[[nodiscard]] argv_t copy_argv(const lxc_options& options, std::string_view new_name);

// lxc-create -n NAME [-P path] -t TEMPLATE [-f config] [-- template args...]
[[nodiscard]] argv_t create_argv(const lxc_options& options);

// lxc-start -n NAME [-P path] -d
[[nodiscard]] argv_t start_argv(std::string_view lxcpath, std::string_view name);

// lxc-wait -n NAME [-P path] -s STATE -t SECONDS
[[nodiscard]] argv_t wait_argv(std::string_view lxcpath, std::string_view name,
                               std::string_view state, std::chrono::seconds timeout);

// lxc-stop -n NAME [-P path] -k, or -t SECONDS for a clean shutdown that kills after SECONDS.
[[nodiscard]] argv_t stop_argv(std::string_view lxcpath, std::string_view name,
                               std::chrono::seconds timeout);

// lxc-destroy -n NAME [-P path] -f
[[nodiscard]] argv_t destroy_argv(std::string_view lxcpath, std::string_view name);

// lxc-info -n NAME [-P path] -s -p: the state, and the init pid when running.
[[nodiscard]] argv_t state_argv(std::string_view lxcpath, std::string_view name);

// lxc-ls [-P path] -1
[[nodiscard]] argv_t list_argv(std::string_view lxcpath);

}  // namespace berth::plugins::lxc
