// Short, bounded calls of the LXC tools that prepare and remove containers. They block: call
// them from open() (the host's thread) or from a session's worker, never from the event loop.
// Failures are sdk::error values whose message says what LXC said and what to do.
#pragma once

#include <berth/sdk/run_command.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "lxc_argv.hpp"
#include "lxc_diagnosis.hpp"
#include "lxc_options.hpp"

namespace berth::plugins::lxc {

// lxc-info, lxc-stop -k, lxc-destroy and friends answer in milliseconds; this only bounds a
// hung tool.
inline constexpr std::chrono::seconds k_tool_timeout{30};
// How long a started or copied container may take to reach RUNNING.
inline constexpr std::chrono::seconds k_start_timeout{10};
// lxc-create runs a template script (the busybox one takes ~0.1 s; others download).
inline constexpr std::chrono::seconds k_create_timeout{300};

// What a user does about a missing LXC tool.
inline constexpr const char* k_lxc_install_hint = "install the lxc package";

// Runs an LXC tool without a shell (sdk::run_tool: a missing binary is BERTH_ERR_UNAVAILABLE
// with the install hint, never the user's command missing).
[[nodiscard]] sdk::command_result run_tool(const argv_t& argv, std::chrono::milliseconds timeout);

struct container_info {
    container_state state = container_state::unknown;
    long init_pid = -1;  // host pid of the container's init while it runs
};

// Throws BERTH_ERR_UNAVAILABLE when lxc-info cannot be run or does not answer.
[[nodiscard]] container_info query_info(std::string_view lxcpath, std::string_view name);
[[nodiscard]] container_state query_state(std::string_view lxcpath, std::string_view name);

// Attach mode with ensure_running: starts `name` when it is stopped and waits for RUNNING.
// Returns true if it started it.
bool ensure_running(std::string_view lxcpath, std::string_view name);

// The error for a container that is not running, by its state: missing and stopped containers
// give lxc-attach the same "Failed to get init pid"; this tells the user which it was.
[[nodiscard]] std::string not_running_message(std::string_view name, container_state state);

// Ephemeral mode: copies options.template_container to new_name and waits for RUNNING. On
// failure nothing is left and the error says why (lxc-copy itself prints nothing).
void copy_ephemeral(const lxc_options& options, std::string_view new_name);

// Create mode: lxc-create, lxc-start, RUNNING. A container this call created is destroyed
// again when a later step fails.
void create_and_start(const lxc_options& options);

// Stops a container the session owns (an ephemeral copy then vanishes) and with `destroy`
// destroys it; confirms it is gone. Returns "" or what went wrong, for logs and close().
[[nodiscard]] std::string remove_container(std::string_view lxcpath, std::string_view name,
                                           std::chrono::seconds stop_timeout, bool destroy);

// The lxcpath of sessions without the `lxcpath` option: `lxc-config lxc.lxcpath`. Throws
// BERTH_ERR_UNAVAILABLE when LXC does not say.
[[nodiscard]] std::string default_lxcpath(std::chrono::milliseconds timeout = k_tool_timeout);

// options.lxcpath, or LXC's default (asked once per process; asked again after a failure).
[[nodiscard]] std::string lxcpath_of(const lxc_options& options);

// Marks a container a session created with the host's owner token: a BERTH_OWNER_FILE in the
// container's directory, which LXC ignores and removes with the container. Returns "" or why
// it could not (the session goes on; only a crash of the host would leave it unmarked).
[[nodiscard]] std::string mark_owned(std::string_view lxcpath, std::string_view name,
                                     const std::string& owner);

// Stops and destroys every container under lxcpath marked with owner, adding each one removed
// to `removed`. Throws sdk::error naming those left and how to remove them by hand.
void reclaim_owned(const std::string& lxcpath, const std::string& owner, std::uint32_t& removed);

// The same under LXC's default lxcpath; nothing to do without the LXC tools.
void reclaim_owned_default(const std::string& owner, std::uint32_t& removed);

// "berth-" and 12 random hex digits: ephemeral copies are found (and cleaned) by this prefix.
[[nodiscard]] std::string random_container_name();

// The container a session runs in, made ready for lxc-attach according to options.mode:
// attach (started first with ensure_running), ephemeral (a fresh copy of the template) or
// create. `owned` when the session removes it at its end (`destroy`: lxc-destroy it too; an
// ephemeral copy vanishes when stopped); an owned one is marked with the host's owner under
// owner_lxcpath (unless that is empty). Blocking, bounded; throws sdk::error leaving nothing.
struct session_container {
    std::string name;
    bool owned = false;
    bool destroy = false;
};
[[nodiscard]] session_container ready_container(const lxc_options& options,
                                                const sdk::host_services& host,
                                                const std::string& owner_lxcpath);

// Why an lxc-attach session ended, beyond its exit status (status starts as lxc-attach's own):
// exit 1 with lxc-attach's words in `head` (the start of its stderr or terminal) means it could
// not enter, and status becomes failed with why (a stopped or missing container named as
// such); a killed command whose container stopped or is stopping reads as failed with that
// story. Asks lxc-info (bounded); throws sdk::error when it cannot.
void explain_attach_end(sdk::exit_status& status, std::string_view head, std::string_view lxcpath,
                        const std::string& name);

}  // namespace berth::plugins::lxc
