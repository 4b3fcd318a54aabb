// JSON-RPC errors as berthd sends them and its clients read them. Stable: clients match on
// them. docs/api.md lists them with examples.
//
// Every error names two things: `code`, the JSON-RPC code (berthd's own conditions, such as an
// unknown session, have codes of their own), and `data.status`, the berth_status it stands for
// by its symbolic name ("COMMAND_NOT_FOUND"): the plugin's own word when a plugin failed, so a
// client tells a missing command from a missing image without reading the message.
#pragma once

#include <berth/plugin.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace berth::wire {

namespace rpc_error {

constexpr int parse_error = -32700;      // the line is not JSON
constexpr int invalid_request = -32600;  // not a JSON-RPC 2.0 request, or the frame is too big
constexpr int method_not_found = -32601;
constexpr int invalid_params = -32602;  // missing/mistyped params, invalid regex, bad option
constexpr int internal_error = -32603;
constexpr int unknown_session = -32001;
constexpr int unknown_runtime = -32002;
constexpr int runtime_unhealthy = -32003;  // session.open on a runtime whose health check fails
constexpr int limit_reached = -32004;      // max sessions (total or per runtime)
constexpr int session_state = -32005;      // e.g. write to an ended session
constexpr int runtime_failure = -32006;    // the runtime could not open or do it; message says why
constexpr int unsupported = -32007;        // the runtime cannot do this (no resize, ...)
constexpr int unauthorized = -32008;       // peer is neither root nor the daemon's user/group

}  // namespace rpc_error

// The one table: each berth_status, its symbolic name on the wire, and the JSON-RPC code a
// failure with that status gets when berthd has no more specific code for it.
struct status_entry {
    berth_status status;
    std::string_view name;
    int rpc_code;
};

inline constexpr status_entry k_status_table[] = {
    {BERTH_OK, "OK", 0},
    {BERTH_ERR_INVALID_ARGUMENT, "INVALID_ARGUMENT", rpc_error::invalid_params},
    {BERTH_ERR_NOT_FOUND, "NOT_FOUND", rpc_error::runtime_failure},
    {BERTH_ERR_UNSUPPORTED, "UNSUPPORTED", rpc_error::unsupported},
    {BERTH_ERR_RUNTIME, "RUNTIME", rpc_error::runtime_failure},
    {BERTH_ERR_UNAVAILABLE, "UNAVAILABLE", rpc_error::runtime_failure},
    {BERTH_ERR_PERMISSION, "PERMISSION", rpc_error::runtime_failure},
    {BERTH_ERR_STATE, "STATE", rpc_error::session_state},
    {BERTH_ERR_TIMEOUT, "TIMEOUT", rpc_error::runtime_failure},
    {BERTH_ERR_INTERNAL, "INTERNAL", rpc_error::runtime_failure},
    {BERTH_ERR_COMMAND_NOT_FOUND, "COMMAND_NOT_FOUND", rpc_error::runtime_failure},
    {BERTH_ERR_COMMAND_NOT_EXECUTABLE, "COMMAND_NOT_EXECUTABLE", rpc_error::runtime_failure},
};

// "COMMAND_NOT_FOUND"; "INTERNAL" for a value outside the table.
[[nodiscard]] std::string_view status_name(berth_status status) noexcept;
// The status a name stands for; nullopt for a name outside the table.
[[nodiscard]] std::optional<berth_status> status_from_name(std::string_view name) noexcept;
// The JSON-RPC code for a failure with this status (the table's third column).
[[nodiscard]] int rpc_code_for(berth_status status) noexcept;

// An error object: {"code":code,"message":message,"data":{"status":NAME, ...data}}.
[[nodiscard]] nlohmann::json rpc_error_object(int code, berth_status status,
                                              const std::string& message,
                                              nlohmann::json data = nlohmann::json::object());

// The status an error object carries in data.status. An error without one (not from berthd)
// reads as BERTH_ERR_RUNTIME: something failed over there, and nothing says what.
[[nodiscard]] berth_status status_of_error(const nlohmann::json& error) noexcept;

}  // namespace berth::wire
