// A connection after session.stream (docs/api.md): the reply line, then binary frames both
// ways until it closes. Two parties touch the socket, never at once in one direction:
// - the output pump, on a blocking-call thread, is the only writer once the reply is out
//   (asio writes nothing more here);
// - the I/O thread reads the client's frames and hands input to the stream's input thread
//   (input:true only; a second blocking-call slot, never the shared quick pool: a write may
//   wait 30 s for room in the session's stdin), one batch at a time, and reads no more until
//   that batch is applied (back-pressure, bounded memory).
// The I/O thread owns the fd's lifetime: it closes it only after the pump has left.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "call_runner.hpp"
#include "connection.hpp"
#include "json_limits.hpp"
#include "peer_check.hpp"
#include "rpc_errors.hpp"
#include "stream_frame.hpp"
#include "stream_input.hpp"

namespace berth::daemon {

// Hands batches of input frames from the I/O thread to the stream's input thread, one at a
// time (the I/O thread hands the next only after the last was applied).
class input_handoff {
public:
    void give(std::deque<wire::stream_frame> batch) {
        {
            const std::lock_guard lock(mutex_);
            batch_ = std::move(batch);
        }
        cv_.notify_all();
    }
    // The input thread leaves once it has applied what it was given.
    void end() {
        {
            const std::lock_guard lock(mutex_);
            ended_ = true;
        }
        cv_.notify_all();
    }
    // The next batch; nullopt once ended, or when `stop` is requested with nothing given (a
    // batch given before the stop is still applied: what a client sent before it went counts).
    std::optional<std::deque<wire::stream_frame>> take(std::stop_token stop) {
        std::unique_lock lock(mutex_);
        if (!cv_.wait(lock, stop, [this] { return batch_.has_value() || ended_; }))
            return std::nullopt;
        return std::exchange(batch_, std::nullopt);
    }

private:
    std::mutex mutex_;
    std::condition_variable_any cv_;
    std::optional<std::deque<wire::stream_frame>> batch_;
    bool ended_ = false;
};

// What a streaming connection holds besides its socket. The gate and the handoff are shared
// with the pump's and the input thread; the rest is the I/O thread's.
struct stream_state {
    std::shared_ptr<host::session> session;
    std::string id;  // the session's, for the log
    bool input = false;
    wire::frame_parser parser{wire::frame_parser::sender::client};
    std::deque<wire::stream_frame> pending;  // parsed, waiting for the input thread
    bool applying = false;                   // a batch is on the input thread
    stream_gate gate;
    input_handoff handoff;
};

namespace {
namespace asio = boost::asio;
namespace err = wire::rpc_error;
}  // namespace

void connection::start_stream(std::variant<stream_request, std::string> prepared) {
    if (closed_) {
        --in_flight_;
        return;
    }
    if (auto* error = std::get_if<std::string>(&prepared)) {
        on_reply(std::move(*error));  // the connection stays in line mode (on_pool_done)
        return;
    }
    auto& req = std::get<stream_request>(prepared);
    const auto refuse = [&](int code, berth_status status, const std::string& message) {
        on_reply(wire::to_frame(error_reply(req.id, code, status, message)));
    };
    // Replies still to come would have to be written after the reply that starts the frames.
    if (in_flight_ > 1) {
        refuse(err::session_state, BERTH_ERR_STATE,
               "session.stream refused: " + std::to_string(in_flight_ - 1) +
                   " other request(s) of this connection are still running; send it once their "
                   "replies have come (or on a connection of its own)");
        return;
    }
    auto state = std::make_shared<stream_state>();
    state->session = req.session;
    state->id = req.entry->id();
    state->input = req.input;
    const int fd = socket_.native_handle();
    const auto stall = services_.limits.stall_timeout;
    auto self = shared_from_this();
    const auto refuse_limit = [&] {
        services_.limits_hit.hit(limit::max_blocking_calls);
        spdlog::warn("refused a session.stream: {} waiting calls are running (max_blocking_calls)",
                     services_.calls.max_blocking());
        refuse(err::limit_reached, BERTH_ERR_UNAVAILABLE,
               "limit reached: " + std::to_string(services_.calls.max_blocking()) +
                   " waiting calls are running (max_blocking_calls); retry later");
    };
    // Input first: its thread only waits for batches until the stream has begun, and leaves
    // at once (handoff.end) if the pump cannot start.
    if (req.input && !services_.calls.run_blocking([self, state, stop = stop_.get_token()] {
            while (auto batch = state->handoff.take(stop)) {
                std::optional<std::string> failure;
                for (const auto& f : *batch) {
                    try {
                        auto r = apply_input(*state->session, f);
                        if (r.outcome == input_outcome::failed) failure = std::move(r.message);
                    } catch (const std::exception& e) {  // bad_alloc, a bug: this stream only
                        failure = std::string("input frame failed: ") + e.what();
                    }
                    if (failure) break;  // later input must not go in after a gap
                }
                asio::post(self->socket_.get_executor(),
                           [self, failure = std::move(failure)]() mutable {
                               self->on_input_applied(std::move(failure));
                           });
            }
        })) {
        refuse_limit();
        return;
    }
    const bool started =
        services_.calls.run_blocking([self, state, req, fd, stall, stop = stop_.get_token()] {
            pump_end how = pump_end::stalled;
            try {
                if (state->gate.wait(stop, stall))
                    how = pump_output(req, fd, stop, stall);
                else if (stop.stop_requested())
                    how = pump_end::stopped;
            } catch (const std::exception& e) {  // bad_alloc, a bug: this stream, not berthd
                spdlog::error("session.stream of {}: {}", state->id, e.what());
                how = pump_end::peer_gone;
            }
            asio::post(self->socket_.get_executor(), [self, how] { self->end_stream(how); });
        });
    if (!started) {
        state->handoff.end();  // the input thread (if any) leaves
        refuse_limit();
        return;
    }
    stream_ = std::move(state);
    pump_running_ = true;
    mode_ = mode::stream_reply;
    --in_flight_;
    spdlog::debug("session.stream of {} from cursor {} (follow {}, input {})", stream_->id,
                  req.cursor, req.follow, req.input);
    queue(rpc_service::stream_reply(req));  // write_next calls enter_raw once it is out
}

void connection::enter_raw() {
    mode_ = mode::raw;
    partial_since_.reset();
    stream_->gate.open();
    // What the client sent after its request, while berthd was not reading lines any more.
    const auto rest = framer_.take_rest();
    if (!rest) {
        spdlog::info("closing a session.stream: an over-long line came right after its request");
        close();
        return;
    }
    if (!rest->empty()) on_client_bytes(*rest);
    if (!closed_) read_raw();
}

void connection::read_raw() {
    if (closed_ || linger_since_ || reading_ || eof_ || stream_->applying ||
        !stream_->pending.empty())
        return;
    reading_ = true;
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t n) { self->on_read(ec, n); });
}

void connection::on_raw_read(const boost::system::error_code& ec, std::size_t n) {
    if (ec) {
        if (ec != asio::error::eof || peer_hung_up(socket_.native_handle())) {
            close();
            return;
        }
        // Half-closed: it sends nothing more but may still read; check() notices when it
        // goes for good.
        eof_ = true;
        return;
    }
    on_client_bytes({buf_.data(), n});
    read_raw();
}

void connection::on_client_bytes(std::string_view bytes) {
    if (!stream_->input) {
        spdlog::info(
            "closing the session.stream of {}: the client sent a frame, but asked for "
            "no input (input:false)",
            stream_->id);
        close();
        return;
    }
    if (!stream_->parser.feed(bytes)) {
        spdlog::info("closing the session.stream of {}: malformed client frame: {}", stream_->id,
                     stream_->parser.error());
        close();
        return;
    }
    while (auto f = stream_->parser.next()) stream_->pending.push_back(std::move(*f));
    apply_pending_input();
}

void connection::apply_pending_input() {
    if (stream_->applying || stream_->pending.empty()) return;
    stream_->applying = true;
    auto batch = std::move(stream_->pending);
    stream_->pending.clear();
    // What the client sent before it went is applied like the rest: bytes written to a pipe
    // before its writer closes are read too.
    stream_->handoff.give(std::move(batch));
}

void connection::on_input_applied(std::optional<std::string> failure) {
    stream_->applying = false;
    if (closed_) return;
    if (failure) {
        // Going on would feed the session later keystrokes after a gap, unknown to the user.
        spdlog::warn("closing the session.stream of {}: {}", stream_->id, *failure);
        close();
        return;
    }
    if (linger_since_) return;
    apply_pending_input();
    read_raw();
}

void connection::end_stream(pump_end how) {
    pump_running_ = false;
    stream_->handoff.end();  // the input thread leaves once its batch (if any) is applied
    if (how == pump_end::stalled) {
        services_.limits_hit.hit(limit::stall_timeout);
        spdlog::warn("closing the session.stream of {}: the client read nothing for {} ms",
                     stream_->id, services_.limits.stall_timeout.count());
    } else {
        spdlog::debug("session.stream of {} ended: {}", stream_->id, to_string(how));
    }
    if (closed_) {  // close() came while the pump ran: finish what it left
        boost::system::error_code ignored;
        socket_.close(ignored);
        if (services_.on_closed) services_.on_closed(this);
        return;
    }
    // After END, berthd closes; lingering first lets a client still sending input read the
    // END instead of failing its write.
    if (how == pump_end::finished && mode_ == mode::raw)
        finish({});
    else
        close();
}

}  // namespace berth::daemon
