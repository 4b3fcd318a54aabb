// Where an LXD or Incus server listens and how to trust it, and one bounded REST call to it.
//
// Two transports: the server's local Unix socket (whoever can open it is trusted, like the
// `lxc` client on the server itself), or HTTPS to any cluster member with a client certificate
// the cluster trusts (`lxc config trust add`). The server's certificate is pinned when
// `server_cert` is given (LXD's own self-signed certificate, or the cluster's), and otherwise
// verified against the system's trust store with the host name checked.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace berth::plugins::lxd {

struct endpoint {
    std::string socket;  // a Unix socket path; empty for HTTPS
    std::string host;    // HTTPS
    std::string port = "8443";
    std::string client_cert;  // PEM files (paths)
    std::string client_key;
    std::string server_cert;
    // Which option (or variable) each came from, for messages: "remote", "BERTH_LXD_REMOTE".
    std::string remote_source = "remote";
    std::string cert_source = "client_cert";
    std::string key_source = "client_key";
    std::string server_source = "server_cert";

    [[nodiscard]] bool https() const noexcept { return socket.empty(); }
    // "unix:/var/lib/lxd/unix.socket" or "https://127.0.0.1:8443".
    [[nodiscard]] std::string describe() const;
    // The value a session's `Host:` header carries.
    [[nodiscard]] std::string host_header() const { return https() ? host : "lxd"; }
};

// "option 'client_cert'" for an option, "$BERTH_LXD_CLIENT_CERT" for a variable.
[[nodiscard]] std::string source_label(const std::string& source);

// The TLS context for an HTTPS endpoint: client certificate and key loaded, the server's
// verified by pin or trust store. Throws sdk::error(BERTH_ERR_INVALID_ARGUMENT) naming the
// option when a file cannot be used.
[[nodiscard]] std::shared_ptr<boost::asio::ssl::context> tls_context(const endpoint& e);

// After a TLS handshake: the server presented the pinned certificate (or no pin is set).
// Returns an empty string when it did, else one line for the user.
[[nodiscard]] std::string check_pin(const endpoint& e, const void* ssl_handle);

struct reply {
    unsigned status = 0;  // HTTP status
    nlohmann::json body;  // the parsed JSON body (null when it was none)
    // LXD's error text ("Instance not found"), or the HTTP reason when there is none.
    [[nodiscard]] std::string error() const;
};

// One REST call: connect, send `body` (when not null) as JSON, read the answer, all within
// `timeout`. `target` is the request target ("/1.0/instances?project=default"). Throws
// sdk::error: BERTH_ERR_UNAVAILABLE when the server cannot be reached or the TLS handshake
// fails (naming the endpoint and the option to check), BERTH_ERR_TIMEOUT when it does not
// answer in time. An HTTP error status is returned, not thrown.
[[nodiscard]] reply request(const endpoint& e, boost::beast::http::verb method,
                            const std::string& target, const nlohmann::json& body,
                            std::chrono::milliseconds timeout);
// The same with a TLS context made once by tls_context (null: make one for this call).
[[nodiscard]] reply request(const endpoint& e, boost::asio::ssl::context* tls,
                            boost::beast::http::verb method, const std::string& target,
                            const nlohmann::json& body, std::chrono::milliseconds timeout);

}  // namespace berth::plugins::lxd
