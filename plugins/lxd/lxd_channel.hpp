// One WebSocket of an exec operation (a data stream or the control socket), over a Unix socket
// or TLS, behind one interface so the session does not care which. Used only on the plugin's
// I/O thread: its methods are coroutines there. Writes queue behind each other (Beast allows one
// at a time); a read may run alongside them.
#pragma once

#include <utility>  // boost/asio/awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "lxd_endpoint.hpp"

namespace berth::plugins::lxd {

class channel {
public:
    virtual ~channel() = default;
    // The next message into `message`; false once the peer closed the socket or it failed.
    virtual boost::asio::awaitable<bool> read(std::string& message) = 0;
    // Sends one message (text for the control socket, binary for data); false when the socket
    // is closed or failed.
    virtual boost::asio::awaitable<bool> write(std::string data, bool text) = 0;
    // Sends a close frame once (after the writes queued before it); a pending read then ends.
    virtual boost::asio::awaitable<void> close() = 0;
    // Tears the connection down now: every pending operation ends.
    virtual void abort() = 0;
};

// Connects and upgrades `target` (an operation's websocket URL) on the calling coroutine's
// executor. Throws sdk::error(BERTH_ERR_UNAVAILABLE) naming the endpoint. `tls` is null for
// a Unix socket and must outlive the channel otherwise.
[[nodiscard]] boost::asio::awaitable<std::unique_ptr<channel>> open_channel(
    const endpoint& e, boost::asio::ssl::context* tls, const std::string& target);

}  // namespace berth::plugins::lxd
