// Reading what the LXC tools say: container states and error lines. Pure text functions, so the
// classification is unit-tested against the exact texts LXC 5.0 prints.
#pragma once

#include <berth/plugin.h>

#include <optional>
#include <string>
#include <string_view>

namespace berth::plugins::lxc {

enum class container_state {
    missing,  // lxc-info: "X doesn't exist"
    stopped,
    starting,
    running,
    stopping,
    aborting,
    freezing,
    frozen,
    thawed,
    unknown  // lxc-info answered something else
};

[[nodiscard]] std::string_view to_string(container_state s) noexcept;

// From `lxc-info -n X -s`: rc 0 with "State:          RUNNING", or rc 1 "X doesn't exist".
[[nodiscard]] container_state parse_state(int exit_code, std::string_view out,
                                          std::string_view err);

// The init pid from `lxc-info -p` ("PID:            18107"), or -1 (a stopped container has none).
[[nodiscard]] long parse_init_pid(std::string_view out);

// The message of one LXC log line about container `name` printed by `tool`:
//   "lxc-attach: c1: ../src/lxc/attach.c: get_attach_context: 406 Connection refused - Failed
//    to get init pid"  ->  "Connection refused - Failed to get init pid".
// nullopt when the line is not such a line (a command's own output).
[[nodiscard]] std::optional<std::string> lxc_log_message(std::string_view line,
                                                         std::string_view tool,
                                                         std::string_view name);

// lxc-attach's own error lines in the start of a session's output (stderr, or the terminal).
struct attach_failure {
    bool found = false;        // lxc-attach reported an error of its own
    bool no_init_pid = false;  // "Failed to get init pid": the container is missing or stopped
    std::string message;       // the first error's message
};

[[nodiscard]] attach_failure scan_attach_output(std::string_view output, std::string_view name);

// What a failed lxc-create means, from its stderr.
struct tool_failure {
    berth_status status = BERTH_ERR_RUNTIME;
    std::string message;
};

[[nodiscard]] tool_failure classify_create_failure(std::string_view name,
                                                   std::string_view lxc_template,
                                                   std::string_view err);

// The LXC messages of a tool's stderr joined with "; " (log prefixes dropped), else the
// trimmed text; for error messages that stay one line.
[[nodiscard]] std::string tool_messages(std::string_view err, std::string_view tool,
                                        std::string_view name);

}  // namespace berth::plugins::lxc
