// The ctr calls a session makes besides its `ctr task exec`: creating the run-mode container,
// signalling the exec process through containerd, asking what became of a task. Each blocks,
// bounded by the connection's connect timeout plus a margin; none runs on the event loop.
#pragma once

#include <sys/types.h>
#include <berth/sdk/plugin.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "containerd_options.hpp"

namespace berth::plugins::containerd {

// What a user does about a missing ctr.
inline constexpr const char* k_ctr_install_hint =
    "install the containerd package, or set the 'ctr_path' option";

// Past the connect timeout, how long a `ctr task kill` or `ctr tasks ls` may take.
inline constexpr std::chrono::seconds k_ctr_call_margin{5};

// A folder of the session's own for ctr's FIFOs (ctr leaves them behind when it is killed),
// under `parent` or the system's temporary folder. Throws sdk::error naming option 'fifo_dir'.
[[nodiscard]] std::filesystem::path make_fifo_dir(const std::string& parent);

// `ctr run -d` of the run-mode container `id`; on failure removes whatever ctr left (unless the
// id was someone else's or the daemon never answered) and throws a classified sdk::error.
void create_container(const session_config& config, const std::string& id,
                      const sdk::host_services& host);

// Sends signo to the session's exec process through containerd. While containerd does not
// know the process (not started yet, or just gone) it retries for a moment, asking `ended`
// (which waits up to its argument) whether ctr is gone meanwhile. Throws sdk::error:
// BERTH_ERR_UNAVAILABLE when the daemon does not answer, BERTH_ERR_TIMEOUT, or classified.
void signal_exec(const session_config& config, const std::string& id, const std::string& exec_id,
                 int signo, const std::function<bool(std::chrono::milliseconds)>& ended);

// SIGKILL to what the session runs: the whole task in run mode (its init holds the PID
// namespace), the exec process otherwise. True when containerd took it.
[[nodiscard]] bool kill_session(const session_config& config, const std::string& id,
                                const std::string& exec_id);

// The command was killed by a signal the session did not send: adds to status.reason whether
// its container's task went with it (`ctr tasks ls`); logs and leaves it when ctr cannot tell.
void explain_with_tasks(sdk::exit_status& status, const session_config& config,
                        const std::string& id, const sdk::host_services& host);

// ctr switches its terminal to raw mode only once it has reached the daemon (10-50 ms in).
// Until then the terminal's own line discipline cooks the input: it echoes it a second time
// and turns an early ^D into an EOF for ctr, which ctr never passes on (the session hangs);
// its output processing also doubles every CR. Raw from the start, the terminal only relays
// bytes and the container's terminal does the cooking.
void make_terminal_raw(pid_t ctr_pid);

}  // namespace berth::plugins::containerd
