// The console_* tools as MCP describes them: name, description, input and output JSON
// Schemas, annotations. Tool inputs are checked against these same schemas (tool_args), so
// a schema is the one statement of what a tool takes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace berth::mcp {

// Every tool's definition, as tools/list returns them (parsed once).
[[nodiscard]] const nlohmann::json& tool_definitions();

// One tool's definition, or nullptr for an unknown name.
[[nodiscard]] const nlohmann::json* find_tool(const std::string& name);

}  // namespace berth::mcp
