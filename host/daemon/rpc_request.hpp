// A request line, checked before anything acts on it: nesting bounded, JSON parsed, the
// JSON-RPC 2.0 envelope (jsonrpc, id, method, params) validated member by member. Everything
// after this relies on the types it establishes, so no client value reaches a comparison or
// a get<T>() it was not checked for.
#pragma once

#include <berth/plugin.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace berth::daemon {

// One call whose envelope is valid.
struct rpc_call {
    nlohmann::json id;          // a string, an integer or null: echoed in the reply
    bool notification = false;  // no "id" member: nothing is sent back
    std::string method;
    nlohmann::json params = nlohmann::json::object();  // always an object
};

// What a line holds: nothing (blank), one error frame for the line as a whole (not JSON, too
// deep, empty batch), or one or more items, each a call or the error reply its own envelope
// earned. A batch answers with an array.
struct parsed_line {
    std::string error_frame;  // set: send this, do nothing else
    bool batch = false;
    std::vector<std::variant<rpc_call, nlohmann::json>> items;

    [[nodiscard]] bool empty() const noexcept { return error_frame.empty() && items.empty(); }
};

[[nodiscard]] parsed_line parse_line(std::string_view line);

// {"jsonrpc":"2.0","id":id,"error":{"code":code,"message":message,"data":{"status":NAME}}}
// (wire::rpc_error_object).
[[nodiscard]] nlohmann::json error_reply(const nlohmann::json& id, int code, berth_status status,
                                         const std::string& message);

// The frame that answers every call of `line` with the same error (e.g. -32004 when no
// thread is left for it); empty when the line holds only notifications.
[[nodiscard]] std::string error_frame_for(const parsed_line& line, int code, berth_status status,
                                          const std::string& message);

// True for calls that may wait for long (long polls, open, close, a refreshed health check):
// the server runs them on the bounded set of blocking-call threads, never on the quick pool.
[[nodiscard]] bool may_block(const rpc_call& call);
[[nodiscard]] bool may_block(const parsed_line& line);

// Longest string id berthd echoes back.
constexpr std::size_t k_max_id_bytes = 256;
// Most calls in one batch: a batch runs its calls one after another on one thread, so a
// long batch of long polls would hold that thread for their sum.
constexpr std::size_t k_max_batch = 64;

}  // namespace berth::daemon
