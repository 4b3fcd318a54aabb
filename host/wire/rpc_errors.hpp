// JSON-RPC error codes berthd answers with. Stable: clients match on them. docs/api.md
// lists them with examples.
#pragma once

namespace berth::wire::rpc_error {

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

}  // namespace berth::wire::rpc_error
