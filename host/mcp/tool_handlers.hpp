// One function per console_* tool. Arguments have been checked against the tool's inputSchema.
#pragma once

#include <nlohmann/json.hpp>

#include "tool_support.hpp"

namespace berth::mcp {

using json = nlohmann::json;

// session_tools.cpp
tool_outcome create_session(tool_env& env, const json& args);
tool_outcome send_input(tool_env& env, const json& args);
tool_outcome send_key(tool_env& env, const json& args);
tool_outcome stop_session(tool_env& env, const json& args);
tool_outcome list_sessions(tool_env& env, const json& args);
tool_outcome resize(tool_env& env, const json& args);
tool_outcome send_signal(tool_env& env, const json& args);
tool_outcome runtimes(tool_env& env, const json& args);
// output_tools.cpp
tool_outcome get_output(tool_env& env, const json& args);
tool_outcome wait_for_output(tool_env& env, const json& args);
// execute_tool.cpp
tool_outcome execute_command(tool_env& env, const json& args);

// Opens a session from console_create_session-shaped arguments (also used by a one-shot
// console_execute_command); the session.get record, or the tool error.
std::variant<json, std::string> open_session(tool_env& env, const json& args, json command);

// Waits until the session ends (no polling: a berthd pattern wait that cannot match, which
// berthd ends when the session does); the record after, or the error. Bounded by timeout.
std::variant<json, std::string> wait_until_ended(tool_env& env, const std::string& session,
                                                 std::uint64_t cursor,
                                                 std::chrono::milliseconds timeout);

}  // namespace berth::mcp
