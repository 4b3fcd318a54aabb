// The LXD/Incus REST calls the plugin makes, each bounded, each turning LXD's answer into a
// value or an sdk::error whose message names the option a user should look at.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lxd_endpoint.hpp"
#include "lxd_options.hpp"

namespace berth::plugins::lxd {

// j[key] when j is an object that has it, else a null (never throws, unlike json::value).
[[nodiscard]] const nlohmann::json& field(const nlohmann::json& j, const char* key);

// "?project=P" with more query parameters after it ("&target=node2").
[[nodiscard]] std::string project_query(const std::string& project);
// A path segment or query value, percent-encoded.
[[nodiscard]] std::string url_encode(const std::string& text);

// What an exec operation hands out: its id and a secret per WebSocket ("0", "1", "2",
// "control").
struct exec_operation {
    std::string id;
    std::map<std::string, std::string> secrets;
};

// How an operation ended: LXD's status ("Success", "Failure", "Cancelled"), its error text,
// and the exec return value when it has one.
struct operation_end {
    std::string status;
    std::string error;
    std::optional<int> exec_return;
};

class lxd_api {
public:
    // Throws like tls_context for an HTTPS endpoint whose files cannot be used.
    lxd_api(endpoint e, std::string project, std::chrono::milliseconds timeout)
        : endpoint_(std::move(e)),
          project_(std::move(project)),
          timeout_(timeout),
          tls_(endpoint_.https() ? tls_context(endpoint_) : nullptr) {}

    [[nodiscard]] const endpoint& remote() const noexcept { return endpoint_; }
    [[nodiscard]] const std::string& project() const noexcept { return project_; }

    // GET /1.0: server facts (environment, auth, api_extensions).
    [[nodiscard]] nlohmann::json server() const;
    // GET /1.0/cluster/members?recursion=1; empty when the server is not clustered.
    [[nodiscard]] nlohmann::json members() const;
    // Why sessions cannot be placed on member `name`: "" when it is online (or the server says
    // nothing), else e.g. "member 'node2' is Offline: No heartbeat for 20s" or "the cluster has
    // no member 'node9' (members: node1, node2)".
    [[nodiscard]] std::string member_problem(const std::string& name) const;

    // Creates instance `name` from options.image (on options.target), marked with the owner
    // and session tokens, and starts it; bounded by options.launch_timeout. On failure
    // nothing is left (what was made is deleted) and the error names the option at fault.
    void launch(const std::string& name, const lxd_options& options, const std::string& owner,
                const std::string& token) const;
    // Stops (force) and deletes the instance; an empty string when it is gone, else why not.
    [[nodiscard]] std::string remove(const std::string& name) const;

    // Starts `command` in the instance with wait-for-websocket; the caller connects the
    // sockets within 5 s.
    [[nodiscard]] exec_operation exec(const std::string& instance,
                                      const lxd_options& options) const;
    // GET /1.0/operations/ID/wait, bounded.
    [[nodiscard]] operation_end wait(const std::string& operation,
                                     std::chrono::milliseconds timeout) const;

    // The instances whose config says user.berth.owner=owner.
    [[nodiscard]] std::vector<std::string> owned_by(const std::string& owner) const;

    // The request target of an operation's WebSocket.
    [[nodiscard]] std::string websocket_target(const exec_operation& op,
                                               const std::string& fd) const;

private:
    [[nodiscard]] reply call(boost::beast::http::verb method, const std::string& target,
                             const nlohmann::json& body = nullptr) const;
    // Waits for an async operation that the reply started; throws its error.
    void finish(const reply& r, const std::string& what, std::chrono::milliseconds timeout) const;

    endpoint endpoint_;
    std::string project_;
    std::chrono::milliseconds timeout_;
    std::shared_ptr<boost::asio::ssl::context> tls_;  // built once: each call reuses it
};

}  // namespace berth::plugins::lxd
