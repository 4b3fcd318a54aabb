// The console_* tools: each turns one MCP tool call into berthd calls. Stateless on purpose:
// sessions, output and cursors live in berthd, so a new berth mcp (after a client restart or a
// kill -9) carries on where the old one was.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "berthd_link.hpp"
#include "cancel_scope.hpp"
#include "mcp_policy.hpp"

namespace berth::mcp {

// A tool's answer: structuredContent, or the text of a tool error (isError: true).
struct tool_outcome {
    nlohmann::json structured;
    std::optional<std::string> error;

    static tool_outcome ok(nlohmann::json s) { return {std::move(s), std::nullopt}; }
    static tool_outcome fail(std::string e) { return {nlohmann::json(), std::move(e)}; }
};

class console_tools {
public:
    console_tools(berthd_link& link, policy rules) : link_(link), policy_(std::move(rules)) {}

    // Runs the tool; arguments are checked against its inputSchema first. Thread-safe.
    [[nodiscard]] tool_outcome call(const std::string& name, const nlohmann::json& args,
                                    cancel_scope& cancel);

private:
    berthd_link& link_;
    const policy policy_;
};

}  // namespace berth::mcp
