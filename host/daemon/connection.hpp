// One client of berthd: its socket, the lines it sends, the calls it has running, the replies
// waiting to go out. Every connection is bounded on its own (Redis' client-output-buffer-limit,
// nginx's client_body_timeout), so nothing one client does costs the others:
// - one of its lines at a time is parsed and, when quick, answered on the shared pool (so
//   a client that pipelines cannot queue the pool full in front of everyone else); at most
//   max_requests_in_flight of its calls run at once in all; and while its unsent replies
//   exceed max_output_bytes, berthd stops reading from it (back-pressure, not an error);
// - a request line left without its newline, or replies left unread past the cap, for
//   stall_timeout end the connection;
// - when the peer goes away, its waiting calls are cancelled.
// A session.stream request turns it into a binary stream for good (connection_stream.cpp).
// All of its state lives on the server's I/O thread; calls run on the call_runner.
#pragma once

#include <berth/plugin.h>
#include <sys/types.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <variant>

#include "limit_counters.hpp"
#include "line_framer.hpp"
#include "rpc_service.hpp"
#include "stream_pump.hpp"

namespace berth::daemon {

class call_runner;
class connection;
struct stream_state;

struct connection_limits {
    std::size_t max_frame_bytes = std::size_t{1} << 20;
    std::size_t max_requests_in_flight = 8;
    std::size_t max_output_bytes = std::size_t{4} << 20;
    std::chrono::milliseconds stall_timeout{10000};
};

struct connection_services {
    rpc_service& rpc;
    call_runner& calls;
    connection_limits limits;
    std::optional<gid_t> group;  // socket_group: its members may connect
    limit_counters& limits_hit;
    // Called once, on the I/O thread, when the connection is closed (the server forgets it).
    std::function<void(const connection*)> on_closed;
};

class connection : public std::enable_shared_from_this<connection> {
public:
    using socket_type = boost::asio::local::stream_protocol::socket;
    using clock = std::chrono::steady_clock;

    connection(socket_type socket, connection_services& services);

    // Checks the peer, then serves it. A peer that may not connect gets -32008 and is
    // disconnected at once.
    void start();
    // Sends one error frame, then closes (too many connections, shutting down).
    void refuse(int code, berth_status status, const std::string& message);
    // Closes now: waiting calls are cancelled, unsent replies dropped.
    void close();
    // From the server's tick: ends stalled connections, and notices peers that went away
    // after a half-close (their waiting calls are cancelled).
    void check(clock::time_point now);

    [[nodiscard]] bool closed() const noexcept { return closed_; }

private:
    void read();
    void on_read(const boost::system::error_code& ec, std::size_t n);
    void pump();
    void dispatch(std::string line);
    // session.stream (connection_stream.cpp): checked on the pool, started here (a blocking
    // slot for the output pump, one more for the input thread with input:true, the reply
    // queued), raw once the reply is written.
    void start_stream(std::variant<stream_request, std::string> prepared);
    void enter_raw();
    void read_raw();
    void on_raw_read(const boost::system::error_code& ec, std::size_t n);
    void on_client_bytes(std::string_view bytes);
    void apply_pending_input();
    // failure: an input frame was lost (stream_input.hpp): the stream ends.
    void on_input_applied(std::optional<std::string> failure);
    void end_stream(pump_end how);
    void on_reply(std::string frame);
    void on_pool_done();
    void queue(std::string frame);
    void write_next();
    void finish(const std::string& frame);  // queue, then linger once it is written
    // Shuts down our side and discards what the peer still sends, until it closes or
    // k_linger passes: closing with its request unread would make the peer's write fail
    // before it ever reads the error it was sent.
    void linger();
    [[nodiscard]] bool over_output() const noexcept {
        return queued_bytes_ >= services_.limits.max_output_bytes;
    }

    // lines: JSON-RPC. stream_pending: a line that may be session.stream is being checked,
    // so nothing more is read or run (what follows it may be frames). stream_reply: the
    // stream's reply is queued. raw: frames only; the output pump writes to the socket.
    enum class mode : std::uint8_t { lines, stream_pending, stream_reply, raw };

    socket_type socket_;
    connection_services& services_;
    line_framer framer_;
    std::array<char, 16 * 1024> buf_{};
    std::deque<std::string> out_;
    std::size_t queued_bytes_ = 0;
    std::size_t in_flight_ = 0;
    bool in_pool_ = false;  // one of its lines is being parsed or answered on the pool
    bool reading_ = false;
    bool writing_ = false;
    bool eof_ = false;        // the peer will send nothing more
    bool finishing_ = false;  // close once out_ is written
    bool closed_ = false;
    std::optional<clock::time_point> partial_since_;    // a line without its newline, since
    std::optional<clock::time_point> over_since_;       // replies over the cap, since
    std::optional<clock::time_point> finishing_since_;  // last replies queued, since
    std::optional<clock::time_point> linger_since_;     // finished, waiting for the peer to go
    std::stop_source stop_;                             // requested when the peer is gone
    mode mode_ = mode::lines;
    // The output pump's thread may be writing to the socket: close() shuts it down but leaves
    // the fd open until the pump has left (end_stream), so the fd number cannot be reused
    // under it.
    bool pump_running_ = false;
    std::shared_ptr<stream_state> stream_;
};

}  // namespace berth::daemon
