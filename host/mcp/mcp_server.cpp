#include "mcp_server.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>

#include "json_writer.hpp"
#include "protocol.hpp"
#include "tool_catalog.hpp"

namespace berth::mcp {
namespace {
using json = nlohmann::json;

// How long a client may cache tools/list and server/discover results (2026-07-28).
constexpr std::int64_t k_cache_ttl_ms = 3600000;

std::string id_key(const json& id) { return id.dump(); }

}  // namespace

// One tools/call in flight. `mutex` orders its response against its progress notifications,
// so no progress is ever sent after the response (or after a cancel).
struct mcp_server::request {
    json id;
    bool stateless = false;
    cancel_scope cancel;
    std::mutex mutex;
    std::condition_variable wake;
    bool finished = false;  // answered, or cancelled: nothing more is sent for it
};

mcp_server::~mcp_server() = default;

int mcp_server::run() {
    std::string buffer;
    bool skipping = false;  // inside a line longer than k_max_line_bytes
    char chunk[65536];
    while (true) {
        const ssize_t n = ::read(in_fd_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // EOF (or a broken stdin): the client is gone
        std::string_view data(chunk, static_cast<std::size_t>(n));
        while (!data.empty()) {
            const auto nl = data.find('\n');
            if (nl == std::string_view::npos) {
                if (!skipping) buffer.append(data);
                if (buffer.size() > k_max_line_bytes) {
                    buffer.clear();
                    skipping = true;
                }
                break;
            }
            if (!skipping) {
                buffer.append(data.substr(0, nl));
                handle_line(buffer);
            } else {
                send_error(nullptr, k_invalid_request,
                           "message longer than " + std::to_string(k_max_line_bytes >> 20) +
                               " MiB: skipped");
            }
            buffer.clear();
            skipping = false;
            data.remove_prefix(nl + 1);
        }
    }
    // stdin closed: the client is leaving. Calls that finish soon are still answered (a piped
    // `printf ... | berth mcp` gets its replies); the rest are cancelled and waited for.
    std::unique_lock lock(requests_mutex_);
    drained_.wait_for(lock, k_eof_grace, [this] { return in_flight_.empty(); });
    for (auto& [key, req] : in_flight_) req->cancel.cancel();
    drained_.wait(lock, [this] { return in_flight_.empty(); });
    return 0;
}

void mcp_server::handle_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    bool too_deep = false;
    const json::parser_callback_t depth_guard = [&too_deep](int depth, json::parse_event_t, json&) {
        if (depth > k_max_depth) too_deep = true;
        return !too_deep;
    };
    json msg = json::parse(line, depth_guard, false);
    if (too_deep)
        return send_error(nullptr, k_invalid_request,
                          "message nested deeper than " + std::to_string(k_max_depth) + " levels");
    if (msg.is_discarded()) return send_error(nullptr, k_parse_error, "not JSON");
    if (msg.is_array())
        return send_error(nullptr, k_invalid_request, "batches are not part of MCP");
    if (!msg.is_object() || !msg.contains("method") || !msg["method"].is_string()) {
        if (msg.is_object() && (msg.contains("result") || msg.contains("error")))
            return;  // a response: berth mcp sends no requests, so none is expected
        return send_error(msg.is_object() ? msg.value("id", json()) : json(), k_invalid_request,
                          "expected a JSON-RPC request or notification (an object with method)");
    }
    if (msg.contains("id") && !msg["id"].is_null()) {
        const json& id = msg["id"];
        if (!id.is_string() && !id.is_number_integer())
            return send_error(nullptr, k_invalid_request, "id must be a string or an integer");
        if (msg.contains("params") && !msg["params"].is_object())
            return send_error(id, k_invalid_params, "params must be an object");
        try {
            return handle_request(msg);
        } catch (const std::exception& e) {  // a mistyped field: the client's error, not ours
            return send_error(id, k_invalid_params, std::string("bad request: ") + e.what());
        }
    }
    try {
        handle_notification(msg);
    } catch (const std::exception&) {
        // A malformed notification has no one to answer.
    }
}

void mcp_server::handle_notification(const json& msg) {
    const std::string method = msg["method"];
    if (method != "notifications/cancelled") return;  // initialized, roots, ...: nothing to do
    const auto p = msg.find("params");
    if (p == msg.end() || !p->is_object() || !p->contains("requestId")) return;
    const json& params = *p;
    std::lock_guard lock(requests_mutex_);
    const auto it = in_flight_.find(id_key(params["requestId"]));
    if (it == in_flight_.end()) return;  // already answered: the spec says ignore it
    {
        std::lock_guard req_lock(it->second->mutex);
        it->second->finished = true;
    }
    it->second->wake.notify_all();
    it->second->cancel.cancel();
}

void mcp_server::handle_request(const json& msg) {
    const json& id = msg["id"];
    const std::string method = msg["method"];
    static const json k_no_params = json::object();
    const auto p = msg.find("params");
    const json& params = p != msg.end() ? *p : k_no_params;
    const auto version = request_meta_version(params);
    const bool stateless = version && !(initialized_ && method != "server/discover" &&
                                        *version != k_stateless_version);
    if (stateless && method != "initialize") {
        if (*version != k_stateless_version)
            return send_error(id, k_unsupported_protocol_version,
                              "protocol version " + *version + " is not supported",
                              {{"supported", json::array({std::string(k_stateless_version)})},
                               {"requested", *version}});
        const json meta = params["_meta"];
        if (!meta.contains("io.modelcontextprotocol/clientCapabilities"))
            return send_error(id, k_invalid_params,
                              "_meta lacks io.modelcontextprotocol/clientCapabilities");
    } else if (!initialized_ && method != "initialize" && method != "ping" &&
               method != "server/discover") {
        return send_error(id, k_invalid_params,
                          "not initialized: send initialize first, or name the protocol version "
                          "in params._meta[\"io.modelcontextprotocol/protocolVersion\"] "
                          "(2026-07-28); got " +
                              method);
    }

    if (method == "initialize") {
        initialized_ = true;
        return send_result(id, initialize_result(params), false);
    }
    if (method == "ping") return send_result(id, json::object(), stateless);
    if (method == "server/discover") return send_result(id, discover_result(), true);
    if (method == "tools/list") {
        json result = {{"tools", tool_definitions()}};
        if (stateless) {
            result["ttlMs"] = k_cache_ttl_ms;
            result["cacheScope"] = "private";
        }
        return send_result(id, std::move(result), stateless);
    }
    if (method == "tools/call") {
        if (!params.is_object() || !params.contains("name") || !params["name"].is_string())
            return send_error(id, k_invalid_params, "tools/call needs params.name (a string)");
        if (find_tool(params["name"]) == nullptr)
            return send_error(id, k_invalid_params,
                              "unknown tool '" + params["name"].get<std::string>() + "'");
        return start_tool_call(id, params, stateless);
    }
    send_error(id, k_method_not_found, "method not found: " + method);
}

void mcp_server::start_tool_call(const json& id, const json& params, bool stateless) {
    auto req = std::make_shared<request>();
    req->id = id;
    req->stateless = stateless;
    {
        std::lock_guard lock(requests_mutex_);
        if (in_flight_.size() >= k_max_in_flight)
            return send_error(id, k_server_busy,
                              "too many calls in flight (" + std::to_string(k_max_in_flight) +
                                  "); wait for some to finish");
        if (!in_flight_.emplace(id_key(id), req).second)
            return send_error(id, k_invalid_request,
                              "a request with id " + id.dump() + " is still in flight");
        json token;
        if (const auto meta = params.find("_meta"); meta != params.end() && meta->is_object())
            token = meta->value("progressToken", json());
        workers_.post([this, req, params] { run_tool_call(req, params); });
        if (!token.is_null()) workers_.post([this, req, token] { progress_ticker(req, token); });
    }
}

void mcp_server::run_tool_call(const std::shared_ptr<request>& req, json params) {
    const std::string name = params["name"];
    json args = params.value("arguments", json::object());
    tool_outcome out;
    try {
        out = tools_.call(name, args, req->cancel);
    } catch (const std::exception& e) {
        out = tool_outcome::fail(std::string("internal error: ") + e.what());
    }
    json result;
    if (out.error) {
        result = {{"content", json::array({{{"type", "text"}, {"text", *out.error}}})},
                  {"isError", true}};
    } else {
        std::string text = out.text ? std::move(*out.text) : to_json_text(out.structured);
        result = {{"content", json::array({{{"type", "text"}, {"text", std::move(text)}}})},
                  {"structuredContent", std::move(out.structured)},
                  {"isError", false}};
    }
    {
        std::lock_guard lock(req->mutex);
        if (!req->finished && !req->cancel.cancelled())
            send_result(req->id, std::move(result), req->stateless);
        req->finished = true;
    }
    req->wake.notify_all();
    {
        std::lock_guard lock(requests_mutex_);
        in_flight_.erase(id_key(req->id));
    }
    drained_.notify_all();
}

void mcp_server::progress_ticker(const std::shared_ptr<request>& req, json token) {
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock lock(req->mutex);
    while (!req->wake.wait_for(lock, std::chrono::seconds(1), [&] { return req->finished; })) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        send({{"jsonrpc", "2.0"},
              {"method", "notifications/progress"},
              {"params",
               {{"progressToken", token},
                {"progress", ms},
                {"message", "still working after " + std::to_string(ms / 1000) + " s"}}}});
    }
}

json mcp_server::capabilities() const { return {{"tools", {{"listChanged", false}}}}; }

std::string mcp_server::instructions() const {
    return "berth keeps interactive console sessions in containers (podman, containerd, LXC) "
           "or on the host (local) in a daemon, so they outlive this server. Open one with "
           "console_create_session, type with console_send_input / console_send_key, read with "
           "console_get_output from a cursor you keep (start at 0, pass next_cursor), wait with "
           "console_wait_for_output (returns within 50 s; call again with the cursor it gives), "
           "or run one command with console_execute_command.";
}

json mcp_server::initialize_result(const json& params) const {
    const auto v = params.find("protocolVersion");
    const std::string requested = v != params.end() && v->is_string() ? v->get<std::string>() : "";
    return {
        {"protocolVersion", negotiate_version(requested)},
        {"capabilities", capabilities()},
        {"serverInfo",
         {{"name", info_.name}, {"title", "berth console sessions"}, {"version", info_.version}}},
        {"instructions", instructions()}};
}

json mcp_server::discover_result() const {
    json versions = json::array({std::string(k_stateless_version)});
    for (auto it = k_handshake_versions.rbegin(); it != k_handshake_versions.rend(); ++it)
        versions.push_back(std::string(*it));
    return {{"supportedVersions", std::move(versions)},
            {"capabilities", capabilities()},
            {"instructions", instructions()},
            {"ttlMs", k_cache_ttl_ms},
            {"cacheScope", "private"},
            {"_meta",
             {{"io.modelcontextprotocol/serverInfo",
               {{"name", info_.name},
                {"title", "berth console sessions"},
                {"version", info_.version}}}}}};
}

void mcp_server::send(const json& msg) {
    // Invalid UTF-8 (a terminal's bytes) becomes U+FFFD here instead of throwing.
    std::string line = to_json_text(msg);
    line += '\n';
    std::lock_guard lock(out_mutex_);
    if (out_broken_) return;
    for (std::size_t done = 0; done < line.size();) {
        const ssize_t n = ::write(out_fd_, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            out_broken_ = true;  // the client closed its end; stdin's EOF ends the loop
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

void mcp_server::send_result(const json& id, json result, bool stateless) {
    if (stateless) result["resultType"] = "complete";
    send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

void mcp_server::send_error(const json& id, int code, const std::string& message, json data) {
    json error = {{"code", code}, {"message", message}};
    if (!data.is_null()) error["data"] = std::move(data);
    send({{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}});
}

}  // namespace berth::mcp
