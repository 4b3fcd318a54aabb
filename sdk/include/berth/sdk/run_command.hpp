// Run a short command to completion and collect its output, with a hard timeout. For health
// checks and clean-up calls (`podman version`, `podman rm -f`), never for sessions.
#pragma once

#include <chrono>
#include <string>
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

// Throws sdk::error(BERTH_ERR_NOT_FOUND) when argv[0] cannot be found, like process_session.
// Output beyond max_output bytes per stream is dropped.
[[nodiscard]] command_result run_command(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout,
                                         const std::string& stdin_data = {},
                                         std::size_t max_output = std::size_t{1} << 20);

}  // namespace berth::sdk
