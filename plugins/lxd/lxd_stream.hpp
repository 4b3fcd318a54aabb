// The byte streams the lxd plugin speaks HTTP and WebSocket over: a Unix socket or TLS over
// TCP, opened the same way for a REST call and for an exec session's WebSockets.
#pragma once

#include <utility>  // boost/asio/awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <variant>

#include "lxd_endpoint.hpp"

namespace berth::plugins::lxd {

using unix_stream = boost::beast::basic_stream<boost::asio::local::stream_protocol>;
using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Connects to the endpoint (and for HTTPS shakes hands and checks the pin). Throws
// sdk::error(BERTH_ERR_UNAVAILABLE) naming the endpoint and what to check. The TLS context
// must outlive the stream.
[[nodiscard]] boost::asio::awaitable<std::unique_ptr<unix_stream>> connect_unix(const endpoint& e);
[[nodiscard]] boost::asio::awaitable<std::unique_ptr<tls_stream>> connect_tls(
    const endpoint& e, boost::asio::ssl::context& tls);

}  // namespace berth::plugins::lxd
