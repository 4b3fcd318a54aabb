// `berth mcp`: the MCP server on stdio (host/mcp), in front of berthd.
#pragma once

#include <optional>
#include <string>

namespace berth::cli {

struct mcp_request {
    std::optional<std::string> policy_file;
    bool no_autostart = false;
    std::optional<std::string> state_dir;  // an auto-started berthd's --state-dir
    unsigned idle_exit_s = 300;
};

// Serves until stdin ends; returns the exit status (0, or 2 for a bad policy file). When berthd
// can be neither reached nor started it serves anyway, and every tool call says why.
int serve_mcp(const std::string& socket, const mcp_request& request, const char* version);

}  // namespace berth::cli
