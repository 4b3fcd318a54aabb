// MCP protocol versions berth mcp speaks, and how a request says which one it uses.
//
// Two eras: the handshake era (2024-11-05 .. 2025-11-25: `initialize` picks a version for the
// connection) and the stateless era (2026-07-28: no handshake; every request names its version
// in `_meta`, and `server/discover` replaces `initialize`).
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace berth::mcp {

inline constexpr std::array<std::string_view, 4> k_handshake_versions = {
    "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"};
inline constexpr std::string_view k_latest_handshake_version = "2025-11-25";
inline constexpr std::string_view k_stateless_version = "2026-07-28";
inline constexpr std::string_view k_meta_protocol_version =
    "io.modelcontextprotocol/protocolVersion";

// JSON-RPC error codes berth mcp answers with.
inline constexpr int k_parse_error = -32700;
inline constexpr int k_invalid_request = -32600;
inline constexpr int k_method_not_found = -32601;
inline constexpr int k_invalid_params = -32602;
inline constexpr int k_internal_error = -32603;
inline constexpr int k_server_busy = -32000;                   // too many requests in flight
inline constexpr int k_unsupported_protocol_version = -32022;  // 2026-07-28

// The version `initialize` answers for a requested one: the same when berth speaks it, else
// the latest handshake version (the client then decides; berth never refuses).
[[nodiscard]] std::string negotiate_version(const std::string& requested);

// The protocol version a request's params._meta names, if any.
[[nodiscard]] std::optional<std::string> request_meta_version(const nlohmann::json& params);

}  // namespace berth::mcp
