#include "lxd_channel.hpp"

#include <berth/sdk/plugin.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "lxd_stream.hpp"

namespace berth::plugins::lxd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;

// LXD sends a data message per read of the command's output (at most 128 KiB in practice).
constexpr std::size_t k_message_max = std::size_t{16} << 20;

template <typename Stream>
class ws_channel final : public channel {
public:
    explicit ws_channel(std::unique_ptr<Stream> s) : ws_(std::move(*s)), idle_(ws_.get_executor()) {
        ws_.read_message_max(k_message_max);
        // The websocket's own timeouts from here on; the stream's connect deadline is over.
        beast::get_lowest_layer(ws_).expires_never();
        idle_.expires_at(asio::steady_timer::time_point::max());
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    }

    asio::awaitable<void> handshake(const std::string& host, const std::string& target) {
        co_await ws_.async_handshake(host, target, use_awaitable);
    }

    asio::awaitable<bool> read(std::string& message) override {
        beast::flat_buffer buffer;
        boost::system::error_code ec;
        co_await ws_.async_read(buffer, asio::redirect_error(use_awaitable, ec));
        if (ec) co_return false;
        message = beast::buffers_to_string(buffer.data());
        co_return true;
    }

    asio::awaitable<bool> write(std::string data, bool text) override {
        co_await take_turn();
        boost::system::error_code ec;
        if (!closed_) {
            ws_.text(text);
            co_await ws_.async_write(asio::buffer(data), asio::redirect_error(use_awaitable, ec));
        }
        const bool ok = !closed_ && !ec;
        give_turn();
        co_return ok;
    }

    asio::awaitable<void> close() override {
        co_await take_turn();
        if (!closed_) {
            closed_ = true;
            boost::system::error_code ec;
            co_await ws_.async_close(websocket::close_code::normal,
                                     asio::redirect_error(use_awaitable, ec));
        }
        give_turn();
    }

    void abort() override {
        closed_ = true;
        boost::system::error_code ec;
        beast::get_lowest_layer(ws_).socket().close(ec);
    }

private:
    // One write (or close) at a time: the others wait on a timer that give_turn cancels.
    asio::awaitable<void> take_turn() {
        while (busy_) {
            // Woken by give_turn's cancel; the expiry stays at "never" (set once: setting it
            // here would cancel the other waiters and make them spin).
            boost::system::error_code ec;
            co_await idle_.async_wait(asio::redirect_error(use_awaitable, ec));
        }
        busy_ = true;
    }
    void give_turn() {
        busy_ = false;
        idle_.cancel();
    }

    websocket::stream<Stream> ws_;
    asio::steady_timer idle_;
    bool busy_ = false;
    bool closed_ = false;
};

}  // namespace

asio::awaitable<std::unique_ptr<channel>> open_channel(const endpoint& e, asio::ssl::context* tls,
                                                       const std::string& target) {
    try {
        if (tls != nullptr) {
            auto c = std::make_unique<ws_channel<tls_stream>>(co_await connect_tls(e, *tls));
            co_await c->handshake(e.host, target);
            co_return c;
        }
        auto c = std::make_unique<ws_channel<unix_stream>>(co_await connect_unix(e));
        co_await c->handshake(e.host_header(), target);
        co_return c;
    } catch (const boost::system::system_error& x) {
        throw sdk::error(BERTH_ERR_UNAVAILABLE, "cannot open the exec WebSocket on " +
                                                    e.describe() + ": " + x.code().message());
    }
}

}  // namespace berth::plugins::lxd
