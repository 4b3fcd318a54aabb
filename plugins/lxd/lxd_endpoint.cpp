#include "lxd_endpoint.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <berth/sdk/plugin.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <optional>

#include "lxd_stream.hpp"

namespace berth::plugins::lxd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;

// Connecting, and for HTTPS the handshake, to a server that does not answer (a dropped SYN, a
// peer that accepts but never speaks TLS).
constexpr std::chrono::seconds k_connect_bound{10};

// Bodies LXD sends for a list of a thousand instances are well under this.
constexpr std::uint64_t k_body_limit = std::uint64_t{64} << 20;

[[noreturn]] void invalid(const std::string& message) {
    throw sdk::error(BERTH_ERR_INVALID_ARGUMENT, message);
}

[[noreturn]] void unreachable(const endpoint& e, const std::string& what) {
    throw sdk::error(BERTH_ERR_UNAVAILABLE, "cannot reach the LXD server at " + e.describe() +
                                                " (" + source_label(e.remote_source) +
                                                "): " + what);
}

struct x509_free {
    void operator()(X509* x) const { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;

x509_ptr read_certificate(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "re");
    if (f == nullptr) return nullptr;
    x509_ptr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    return cert;
}

template <typename Stream>
asio::awaitable<reply> exchange(Stream& stream, const endpoint& e, http::verb method,
                                const std::string& target, const nlohmann::json& body) {
    beast::get_lowest_layer(stream).expires_never();  // request() bounds the whole call
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, e.host_header());
    req.set(http::field::user_agent, "berth-lxd");
    if (!body.is_null()) {
        req.set(http::field::content_type, "application/json");
        req.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    req.prepare_payload();
    co_await http::async_write(stream, req, use_awaitable);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(k_body_limit);
    co_await http::async_read(stream, buffer, parser, use_awaitable);
    reply r;
    r.status = parser.get().result_int();
    const auto& text = parser.get().body();
    if (!text.empty()) r.body = nlohmann::json::parse(text, nullptr, false);
    if (r.body.is_discarded()) r.body = nlohmann::json{{"error", text.substr(0, 200)}};
    co_return r;
}

}  // namespace

std::string source_label(const std::string& source) {
    return source.starts_with("BERTH_") ? "$" + source : "option '" + source + "'";
}

std::string endpoint::describe() const {
    return https() ? "https://" + host + ":" + port : "unix:" + socket;
}

std::string reply::error() const {
    if (body.is_object()) {
        if (const auto it = body.find("error");
            it != body.end() && it->is_string() && !it->get_ref<const std::string&>().empty())
            return it->get<std::string>();
    }
    return "HTTP " + std::to_string(status);
}

std::shared_ptr<asio::ssl::context> tls_context(const endpoint& e) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    if (!e.client_cert.empty()) {
        if (ctx->use_certificate_chain_file(e.client_cert, ec))
            invalid(source_label(e.cert_source) + ": cannot use " + e.client_cert + ": " +
                    ec.message());
        if (ctx->use_private_key_file(e.client_key, asio::ssl::context::pem, ec))
            invalid(source_label(e.key_source) + ": cannot use " + e.client_key + ": " +
                    ec.message());
        if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
            invalid(source_label(e.cert_source) + " and " + source_label(e.key_source) +
                    ": the key " + e.client_key + " does not belong to the certificate " +
                    e.client_cert);
    }
    if (!e.server_cert.empty()) {
        // Pinned: the server must present exactly this certificate (check_pin, after the
        // handshake); a self-signed LXD certificate has no chain to verify.
        if (!read_certificate(e.server_cert))
            invalid(source_label(e.server_source) + ": " + e.server_cert +
                    " is not a PEM certificate");
        ctx->set_verify_mode(asio::ssl::verify_none);
    } else {
        if (ctx->set_default_verify_paths(ec))
            throw sdk::error(BERTH_ERR_UNAVAILABLE,
                             "cannot load the system's trust store to verify " + e.describe() +
                                 " (" + ec.message() + "): give " + source_label(e.server_source) +
                                 ", the server's certificate");
        ctx->set_verify_mode(asio::ssl::verify_peer);
        ctx->set_verify_callback(asio::ssl::host_name_verification(e.host));
    }
    return ctx;
}

std::string check_pin(const endpoint& e, const void* ssl_handle) {
    if (e.server_cert.empty()) return {};
    const auto pinned = read_certificate(e.server_cert);
    const x509_ptr presented(SSL_get_peer_certificate(static_cast<const SSL*>(ssl_handle)));
    if (!presented) return "the server presented no certificate";
    if (!pinned || X509_cmp(pinned.get(), presented.get()) != 0)
        return "the server's certificate is not the one in option 'server_cert' (" + e.server_cert +
               "); fetch it again if the server's certificate changed";
    return {};
}

asio::awaitable<std::unique_ptr<unix_stream>> connect_unix(const endpoint& e) {
    auto stream = std::make_unique<unix_stream>(co_await asio::this_coro::executor);
    stream->expires_after(k_connect_bound);
    try {
        co_await stream->async_connect(asio::local::stream_protocol::endpoint(e.socket),
                                       use_awaitable);
    } catch (const boost::system::system_error& x) {
        unreachable(e, x.code().message() +
                           " (is the daemon running, and may berth open its "
                           "socket?)");
    }
    co_return stream;
}

asio::awaitable<std::unique_ptr<tls_stream>> connect_tls(const endpoint& e,
                                                         asio::ssl::context& tls) {
    const auto executor = co_await asio::this_coro::executor;
    auto stream = std::make_unique<tls_stream>(executor, tls);
    beast::get_lowest_layer(*stream).expires_after(k_connect_bound);  // connect and handshake
    try {
        asio::ip::tcp::resolver resolver(executor);
        const auto found = co_await resolver.async_resolve(e.host, e.port, use_awaitable);
        co_await beast::get_lowest_layer(*stream).async_connect(found, use_awaitable);
    } catch (const boost::system::system_error& x) {
        unreachable(e, x.code().message());
    }
    if (SSL_set_tlsext_host_name(stream->native_handle(), e.host.c_str()) != 1)
        unreachable(e, "cannot set the TLS server name");
    try {
        co_await stream->async_handshake(asio::ssl::stream_base::client, use_awaitable);
    } catch (const boost::system::system_error& x) {
        unreachable(e, "TLS handshake failed: " + x.code().message() + " (check " +
                           source_label(e.cert_source) + ", " + source_label(e.key_source) +
                           " and " + source_label(e.server_source) + ")");
    }
    if (const auto problem = check_pin(e, stream->native_handle()); !problem.empty())
        unreachable(e, problem);
    co_return stream;
}

reply request(const endpoint& e, http::verb method, const std::string& target,
              const nlohmann::json& body, std::chrono::milliseconds timeout) {
    return request(e, nullptr, method, target, body, timeout);
}

reply request(const endpoint& e, asio::ssl::context* given_tls, http::verb method,
              const std::string& target, const nlohmann::json& body,
              std::chrono::milliseconds timeout) {
    std::optional<reply> result;
    std::exception_ptr failure;
    const auto own_tls = e.https() && given_tls == nullptr ? tls_context(e) : nullptr;
    asio::ssl::context* tls = given_tls != nullptr ? given_tls : own_tls.get();
    auto call = [&]() -> asio::awaitable<reply> {
        if (e.https()) {
            auto s = co_await connect_tls(e, *tls);
            co_return co_await exchange(*s, e, method, target, body);
        }
        auto s = co_await connect_unix(e);
        co_return co_await exchange(*s, e, method, target, body);
    };
    // Last, so that it goes first: an unfinished call's frame (and stream) dies with it.
    asio::io_context io;
    asio::co_spawn(io, call(), [&](std::exception_ptr x, reply r) {
        failure = x;
        if (!x) result = std::move(r);
    });
    io.run_for(timeout);
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const boost::system::system_error& x) {
            unreachable(
                e, std::string(http::to_string(method)) + " " + target + ": " + x.code().message());
        }
    }
    if (!result)
        throw sdk::error(BERTH_ERR_TIMEOUT,
                         "the LXD server at " + e.describe() + " did not answer " +
                             std::string(http::to_string(method)) + " " + target + " within " +
                             std::to_string(timeout.count()) + " ms");
    return std::move(*result);
}

}  // namespace berth::plugins::lxd
