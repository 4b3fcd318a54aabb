// Every ctr command line the plugin runs, built from typed options. Pure functions: what ctr
// is asked to do can be read (and unit-tested) here without a daemon. Each flag was checked
// against ctr 1.6 itself; ctr has no -i, --net, --volume, --memory or --tmpfs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "containerd_options.hpp"

namespace berth::plugins::containerd {

using argv = std::vector<std::string>;

// ctr --connect-timeout <ms>ms -a <address> -n <namespace>
[[nodiscard]] argv ctr_base(const connection& conn);

// Run mode, step 1: the container with its long-lived init, detached, no I/O attached.
// (`ctr run` without -t never passes stdin EOF on, so the command itself joins it with exec.)
[[nodiscard]] argv run_detached(const session_config& c, std::string_view container_id);

// The session's process: ctr task exec --exec-id <id> --fifo-dir <dir> [-t] [--cwd] [--user]
// -- <container> <command...>
[[nodiscard]] argv exec_command(const session_config& c, std::string_view container_id,
                                std::string_view exec_id, std::string_view fifo_dir);

// The ids of every container labelled BERTH_OWNER_LABEL=owner, one a line.
[[nodiscard]] argv list_owned(const connection& conn, std::string_view owner);

// Every task of the namespace: TASK, PID, STATUS columns.
[[nodiscard]] argv list_tasks(const connection& conn);

// A signal to the session's exec process (signo as a number; ctr accepts it).
[[nodiscard]] argv kill_exec(const connection& conn, std::string_view container_id,
                             std::string_view exec_id, int signo);
// SIGKILL to the container's init, and so to everything in its PID namespace.
[[nodiscard]] argv kill_task(const connection& conn, std::string_view container_id);
// Kills (SIGKILL) and removes an exec process that ctr did not remove itself.
[[nodiscard]] argv delete_exec(const connection& conn, std::string_view container_id,
                               std::string_view exec_id);
// Kills (SIGKILL) the container's task and deletes it.
[[nodiscard]] argv delete_task(const connection& conn, std::string_view container_id);
// Removes the container and, with it, its snapshot.
[[nodiscard]] argv remove_container(const connection& conn, std::string_view container_id);

// Health: the daemon's version, and whether a snapshotter is loaded.
[[nodiscard]] argv version(const connection& conn);
[[nodiscard]] argv snapshotter_status(const connection& conn, std::string_view snapshotter);

// ctr's --cpus takes a float; the shortest text that reads back as the same value.
[[nodiscard]] std::string format_cpus(double cpus);

}  // namespace berth::plugins::containerd
