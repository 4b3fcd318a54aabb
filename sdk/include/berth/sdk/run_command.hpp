// Run a short command to completion and collect its output, with a hard timeout. For health
// checks and clean-up calls (`podman version`, `podman rm -f`), never for sessions.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace berth::sdk {

struct command_result {
    int exit_code = -1;
    int term_signal = 0;
    bool timed_out = false;  // killed because it ran past the timeout
    std::string out;
    std::string err;

    [[nodiscard]] bool ok() const noexcept { return !timed_out && exit_code == 0; }
    // One line for messages: stderr trimmed, else stdout trimmed, else the exit status.
    [[nodiscard]] std::string message() const;
};

// Throws sdk::error(BERTH_ERR_COMMAND_NOT_FOUND or _NOT_EXECUTABLE) when argv[0] cannot be
// started, like process_session.
// Output beyond max_output bytes per stream is dropped.
[[nodiscard]] command_result run_command(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout,
                                         const std::string& stdin_data = {},
                                         std::size_t max_output = std::size_t{1} << 20);

// A runtime's own tool that cannot be started means the runtime is not installed, not that a
// user's command is missing: COMMAND_NOT_FOUND / COMMAND_NOT_EXECUTABLE become
// BERTH_ERR_UNAVAILABLE, "<tool> cannot be run (<why>): <install_hint>". Other errors are
// returned unchanged. The one place that mapping lives (run_tool and runtime_session use it).
[[nodiscard]] error tool_error(const error& e, std::string_view tool,
                               std::string_view install_hint);

// run_command for a runtime's tool (argv[0]), with tool_error's mapping.
[[nodiscard]] command_result run_tool(const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout,
                                      std::string_view install_hint,
                                      std::size_t max_output = std::size_t{1} << 20);

}  // namespace berth::sdk
