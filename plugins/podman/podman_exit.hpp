// How a podman session ended, from podman's exit status and the end of what it printed.
//
// podman passes the container command's exit code through, and uses 125 for its own
// failures (image not known, no such container, name in use), 126/127 when the OCI runtime
// cannot execute or find the command, and 255 for an exec into a stopped container
// ("container state improper"). A command may exit with those codes too, so podman's codes
// count as podman's only when podman's last words say so: its final line on stderr (pipes)
// or on the terminal (tty) starts with "Error: ".
//
// Decisions (documented in plugins/podman/README.md):
//  - 125, and 126/127/255 with a podman error that is not about the command itself, end the
//    session as failed, with podman's message as the reason.
//  - 126/127 because the command was not found or not executable in the container are that
//    command's exit status (as for a shell, and as `berth run` reports it for any runtime),
//    with podman's message as the reason.
//  - 128+N (N a signal number) reads as "killed by signal N": podman reports a signalled
//    container process that way and keeps nothing else (nor prints anything: an external
//    `podman kill` ends `podman run` with 137 and not a word). The reason says so, e.g.
//    "container was killed by SIGKILL (signal 9)" in run mode, where the command is the
//    container's main process; in exec mode "the command was killed by ...", which the
//    session turns into "container 'X' stopped while the session ran: ..." when the
//    container itself went. A command that itself exits with 130 reads as SIGINT; podman
//    leaves no way to tell the two apart.
#pragma once

#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "podman_options.hpp"

namespace berth::plugins::podman {

// "SIGKILL (signal 9)"; "signal 40" for a number without a name.
[[nodiscard]] std::string signal_text(int signo);

// podman's own error message if the tail ends with one ("Error: X" -> "X"), else nullopt.
[[nodiscard]] std::optional<std::string> podman_error(std::string_view tail);

// True for podman's words when the OCI runtime could not find or execute the command itself
// (as opposed to a bad user, working directory or container state).
[[nodiscard]] bool is_command_error(std::string_view message);

// The session's exit status from podman's. `tail` is the end of podman's stderr (pipes) or
// of the terminal output (tty); `mode` words the reason of a signalled command.
// An exec'd command was killed by a signal nobody here sent: asks podman (bounded) whether
// its container went, and if so says so at the front of status.reason ("container 'X' stopped
// while the session ran: ..."). Leaves status alone when the container still runs or podman
// cannot tell (logged at debug level).
void explain_exec_signal(sdk::exit_status& status, const podman_options& options,
                         const sdk::host_services& host);

[[nodiscard]] sdk::exit_status classify_exit(const sdk::exit_status& podman, std::string_view tail,
                                             session_mode mode = session_mode::run);

}  // namespace berth::plugins::podman
