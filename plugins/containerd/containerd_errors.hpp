// ctr exits 1 for every failure; what went wrong is only in its last stderr line
// ("ctr: <error>"). These pure functions turn that line into a status and a message a user can
// act on, and a finished `ctr task exec` into the exit the host sees.
#pragma once

#include <berth/plugin.h>
#include <berth/sdk/plugin.hpp>

#include <string>
#include <string_view>

#include "containerd_options.hpp"

namespace berth::plugins::containerd {

enum class failure_kind {
    daemon_unreachable,  // nothing answered on the socket within the connect timeout
    connection_lost,     // the daemon went away while ctr was talking to it
    image_not_found,
    container_not_found,
    task_not_running,   // the container exists but has no running task
    already_exists,     // container id (or exec id) taken
    command_not_found,  // the command (or, in run mode, the init) is not in the container
    command_not_executable,
    workdir_not_found,
    user_not_found,
    snapshotter_not_loaded,
    runtime_not_installed,
    mount_failed,
    process_not_found,  // the exec process is gone (already exited)
    other
};

// What ctr was doing: the message for the same error differs (a missing executable is the
// init in run, the command in exec).
enum class ctr_phase { run, exec, other };

struct ctr_failure {
    failure_kind kind = failure_kind::other;
    berth_status status = BERTH_ERR_RUNTIME;
    std::string message;
};

// The last line of output that starts with "ctr: ", without that prefix and trailing CR/LF;
// empty when there is none (ctr's own log lines, "time=... level=...", are skipped).
[[nodiscard]] std::string ctr_error_line(std::string_view output);

// Classifies ctr's error line. config gives the names used in messages (image, container id,
// user, ...); container_id is the container ctr addressed.
[[nodiscard]] ctr_failure classify(std::string_view error_line, ctr_phase phase,
                                   const session_config& config, std::string_view container_id);

// The exit the host sees when a session's `ctr task exec` ended with exit_code/term_signal
// (from waitpid) and printed output_tail last (its stderr, or the terminal's output).
//  - ctr killed by a signal: that signal, reason "ctr was ended by SIGKILL (signal 9)".
//  - exit 1 with a "ctr: " error line: the classified failure; a command that is missing or
//    not executable in the container reads as 127 / 126 with the reason, like a shell's.
//  - 129..159: containerd reports a process killed by signal N as 128+N (the shim folds the
//    two), so it is reported as signal N, reason "the command was killed by SIGKILL
//    (signal 9)" (ctr prints nothing then); an explicit `exit 143` reads the same way. The
//    session adds whether the container's task stopped with it (explain_signal).
//  - otherwise the exit code.
[[nodiscard]] sdk::exit_status session_exit(int exit_code, int term_signal,
                                            std::string_view output_tail,
                                            const session_config& config,
                                            std::string_view container_id);

// "SIGKILL (signal 9)"; "signal 40" for a number without a name.
[[nodiscard]] std::string signal_text(int signo);

// The STATUS column of `ctr tasks ls` for container_id's task ("RUNNING", "STOPPED",
// "PAUSED", ...), or "" when it has no task.
[[nodiscard]] std::string task_status(std::string_view tasks_table, std::string_view container_id);

// A session's command ended by a signal that the session did not send (status from
// session_exit; tasks_table: `ctr tasks ls` right after). When the container's task is gone or
// no longer running, that is the story: "container 'X' stopped while the session ran: the
// command was killed by SIGKILL (signal 9)". Otherwise the reason stays.
void explain_signal(sdk::exit_status& status, std::string_view tasks_table,
                    std::string_view container_id);

}  // namespace berth::plugins::containerd
