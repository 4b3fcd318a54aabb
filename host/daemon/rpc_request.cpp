#include "rpc_request.hpp"

#include "json_limits.hpp"
#include "rpc_errors.hpp"

namespace berth::daemon {
namespace {
using json = nlohmann::json;
namespace err = wire::rpc_error;

// One element: a call, or the error reply for its envelope.
std::variant<rpc_call, json> check_envelope(const json& request) {
    if (!request.is_object())
        return error_reply(nullptr, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
                           "not a JSON-RPC 2.0 request: expected an object "
                           "{\"jsonrpc\":\"2.0\",\"method\":...,\"id\":...}");
    rpc_call call;
    // The id first: every later error echoes it, so it must be a value we can echo.
    if (const auto id = request.find("id"); id == request.end()) {
        call.notification = true;
    } else if (id->is_number_integer() || id->is_null() ||
               (id->is_string() && id->get_ref<const std::string&>().size() <= k_max_id_bytes)) {
        call.id = *id;
    } else {
        return error_reply(nullptr, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
                           "'id' must be a string of at most " + std::to_string(k_max_id_bytes) +
                               " bytes, an integer that fits in 64 bits, or null; got " +
                               wire::preview_value(*id));
    }
    const auto version = request.find("jsonrpc");
    if (version == request.end() || !version->is_string() || *version != "2.0")
        return error_reply(
            call.id, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
            "'jsonrpc' must be the string \"2.0\"" +
                (version == request.end() ? std::string(" (missing)")
                                          : ", got " + wire::preview_value(*version)));
    const auto method = request.find("method");
    if (method == request.end() || !method->is_string())
        return error_reply(call.id, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
                           "'method' must be a string" +
                               (method == request.end() ? std::string(" (missing)")
                                                        : ", got " + wire::preview_value(*method)));
    call.method = method->get<std::string>();
    if (const auto params = request.find("params"); params != request.end()) {
        if (!params->is_object())
            return error_reply(call.id, err::invalid_params, BERTH_ERR_INVALID_ARGUMENT,
                               "'params' must be an object (by-name parameters), got " +
                                   wire::preview_value(*params));
        call.params = *params;
    }
    return call;
}

}  // namespace

json error_reply(const json& id, int code, berth_status status, const std::string& message) {
    return {
        {"jsonrpc", "2.0"}, {"id", id}, {"error", wire::rpc_error_object(code, status, message)}};
}

parsed_line parse_line(std::string_view line) {
    parsed_line out;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return out;
    if (wire::nesting_exceeds(line, wire::k_max_json_depth)) {
        out.error_frame = wire::to_frame(
            error_reply(nullptr, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
                        "request nested too deeply: more than " +
                            std::to_string(wire::k_max_json_depth) + " levels of arrays/objects"));
        return out;
    }
    json request = json::parse(line, nullptr, false);
    if (request.is_discarded()) {
        out.error_frame =
            wire::to_frame(error_reply(nullptr, err::parse_error, BERTH_ERR_INVALID_ARGUMENT,
                                       "parse error: the request is not valid JSON"));
        return out;
    }
    if (!request.is_array()) {
        out.items.push_back(check_envelope(request));
        return out;
    }
    if (request.empty()) {
        out.error_frame = wire::to_frame(
            error_reply(nullptr, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT, "empty batch"));
        return out;
    }
    if (request.size() > k_max_batch) {
        out.error_frame = wire::to_frame(
            error_reply(nullptr, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
                        "batch of " + std::to_string(request.size()) + " requests: at most " +
                            std::to_string(k_max_batch) + " per batch"));
        return out;
    }
    out.batch = true;
    for (const auto& r : request) {
        auto item = check_envelope(r);
        // A batch runs its calls one after another on one thread; a wait in it would hold
        // that thread for the sum of its waits, outside every per-call bound.
        const auto* call = std::get_if<rpc_call>(&item);
        if (call != nullptr && call->method == "session.stream")
            item = error_reply(call->id, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
                               "'session.stream' cannot be batched: its reply turns the "
                               "connection into a binary stream; send it on its own");
        else if (call != nullptr && may_block(*call))
            item = error_reply(call->id, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
                               "'" + wire::preview(call->method) +
                                   "' cannot be batched: it may wait or call a plugin; send it "
                                   "on its own");
        out.items.push_back(std::move(item));
    }
    return out;
}

bool may_block(const rpc_call& call) {
    const auto& m = call.method;
    // These go to a plugin (write may wait for room in the session's stdin; signal, resize
    // and close may run a runtime's CLI) or wait by design: a thread of their own.
    if (m == "session.open" || m == "session.close" || m == "session.wait" ||
        m == "session.write" || m == "session.close_input" || m == "session.resize" ||
        m == "session.signal")
        return true;
    if (m == "health.get") {
        const auto it = call.params.find("refresh");
        return it != call.params.end() && it->is_boolean() && it->get<bool>();
    }
    if (m == "session.read") {
        const auto it = call.params.find("wait_ms");
        return it != call.params.end() && it->is_number() && *it > 0;
    }
    // Answered from berthd's own memory (lists, records, metrics, a read without a wait), or
    // an unknown method answered at once.
    return false;
}

bool may_block(const parsed_line& line) {
    for (const auto& item : line.items)
        if (const auto* call = std::get_if<rpc_call>(&item); call != nullptr && may_block(*call))
            return true;
    return false;
}

std::string error_frame_for(const parsed_line& line, int code, berth_status status,
                            const std::string& message) {
    nlohmann::json replies = nlohmann::json::array();
    for (const auto& item : line.items) {
        if (const auto* call = std::get_if<rpc_call>(&item)) {
            if (!call->notification)
                replies.push_back(error_reply(call->id, code, status, message));
        } else {
            replies.push_back(std::get<nlohmann::json>(item));
        }
    }
    if (replies.empty()) return {};
    return wire::to_frame(line.batch ? replies : replies[0]);
}

}  // namespace berth::daemon
