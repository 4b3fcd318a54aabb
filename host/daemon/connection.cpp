#include "connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "call_runner.hpp"
#include "json_limits.hpp"
#include "peer_check.hpp"
#include "rpc_errors.hpp"
#include "rpc_request.hpp"
#include "rpc_service.hpp"

namespace berth::daemon {
namespace {
namespace asio = boost::asio;
namespace err = wire::rpc_error;

// How long a finished connection waits for its peer to close before berthd closes it.
constexpr auto k_linger = std::chrono::seconds(1);

std::string line_error(int code, berth_status status, const std::string& message) {
    return wire::to_frame(error_reply(nullptr, code, status, message));
}

}  // namespace

connection::connection(socket_type socket, connection_services& services)
    : socket_(std::move(socket)), services_(services), framer_(services.limits.max_frame_bytes) {}

void connection::start() {
    if (!peer_allowed(socket_.native_handle(), services_.group)) {
        services_.limits_hit.hit(limit::unauthorized);
        spdlog::warn(
            "refused a connection from a peer that is neither root nor the daemon's user or group");
        refuse(err::unauthorized, BERTH_ERR_PERMISSION,
               "not authorized: only root, the daemon's user or its socket group may connect");
        return;
    }
    pump();
}

void connection::refuse(int code, berth_status status, const std::string& message) {
    finish(line_error(code, status, message));
}

void connection::close() {
    if (closed_) return;
    closed_ = true;
    stop_.request_stop();
    boost::system::error_code ignored;
    // The write under way (if any) still refers to the front until its handler runs.
    while (out_.size() > (writing_ ? 1U : 0U)) out_.pop_back();
    queued_bytes_ = 0;
    if (pump_running_) {
        // Its sendmsg/poll return at once on a shut-down socket; end_stream closes the fd.
        socket_.shutdown(socket_type::shutdown_both, ignored);
        socket_.cancel(ignored);
        return;
    }
    socket_.close(ignored);
    if (services_.on_closed) services_.on_closed(this);
}

void connection::finish(const std::string& frame) {
    if (finishing_) return;
    finishing_ = true;
    finishing_since_ = clock::now();
    if (!frame.empty()) queue(frame);
    if (out_.empty()) linger();
}

void connection::linger() {
    if (!linger_since_) {
        boost::system::error_code ignored;
        socket_.shutdown(socket_type::shutdown_send, ignored);
        linger_since_ = clock::now();
    }
    if (reading_) return;  // the read under way will see the EOF
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(buf_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
            self->reading_ = false;
            if (self->closed_) return;
            if (ec) {
                self->close();
                return;
            }
            self->linger();  // discard it and wait on
        });
}

void connection::check(clock::time_point now) {
    if (closed_) return;
    const auto timeout = services_.limits.stall_timeout;
    if (linger_since_) {
        if (now - *linger_since_ > k_linger) close();
        return;
    }
    // Finished, but its last replies are not read: no more waiting than for any stall.
    if (finishing_since_) {
        if (now - *finishing_since_ > timeout) close();
        return;
    }
    if (mode_ == mode::lines && reading_ && partial_since_ && now - *partial_since_ > timeout) {
        services_.limits_hit.hit(limit::stall_timeout);
        spdlog::info("closing a connection that left a request without its newline for {} ms",
                     timeout.count());
        partial_since_.reset();
        finish(line_error(err::invalid_request, BERTH_ERR_TIMEOUT,
                          "incomplete request: no newline within " +
                              std::to_string(timeout.count()) +
                              " ms (stall_timeout_ms); closing the connection"));
        return;
    }
    if (over_since_ && now - *over_since_ > timeout) {
        services_.limits_hit.hit(limit::stall_timeout);
        spdlog::warn("closing a connection that left {} bytes of replies unread for {} ms",
                     queued_bytes_, timeout.count());
        close();
        return;
    }
    if (eof_ && peer_hung_up(socket_.native_handle())) close();
}

void connection::read() {
    reading_ = true;
    // The partial line's clock runs while berthd waits on the client: set when the line
    // began (on_read) or when reading resumes after back-pressure (pump reset it), never
    // moved by a read of a few more bytes of the same line.
    if (framer_.partial() && !partial_since_) partial_since_ = clock::now();
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t n) { self->on_read(ec, n); });
}

void connection::on_read(const boost::system::error_code& ec, std::size_t n) {
    reading_ = false;
    if (closed_) return;
    if (linger_since_) {  // finished while this read was under way
        if (ec)
            close();
        else
            linger();
        return;
    }
    if (mode_ == mode::raw) {
        on_raw_read(ec, n);
        return;
    }
    if (ec) {
        if (ec != asio::error::eof || peer_hung_up(socket_.native_handle())) {
            close();
            return;
        }
        // Half-closed: answer what it sent, then close. While a session.stream may be under
        // way, what it sent stays as it came (on_pool_done finishes it otherwise).
        eof_ = true;
        partial_since_.reset();
        if (mode_ == mode::lines) framer_.finish();
        pump();
        return;
    }
    const bool had_partial = framer_.partial();
    const bool had_ready = framer_.ready();
    framer_.feed({buf_.data(), n});
    if (!framer_.partial()) {
        partial_since_.reset();
    } else if (!had_partial || framer_.ready() != had_ready) {
        partial_since_ = clock::now();  // a new line began in this read
    }
    pump();
}

// Runs what can run, reads when there is room: the one place that decides, after every
// event, whether this connection may take more work.
void connection::pump() {
    if (closed_ || finishing_ || mode_ != mode::lines) return;
    const auto& limits = services_.limits;
    while (!in_pool_ && in_flight_ < limits.max_requests_in_flight && !over_output() &&
           framer_.ready()) {
        auto f = framer_.next();
        if (f->too_long) {
            services_.limits_hit.hit(limit::max_frame_bytes);
            queue(line_error(err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
                             "request too large: more than " +
                                 std::to_string(limits.max_frame_bytes) +
                                 " bytes before its newline (max_frame_bytes)"));
        } else {
            dispatch(std::move(f->line));
        }
    }
    if (mode_ != mode::lines) {
        partial_since_.reset();  // berthd is not reading: the stall is not the client's
        return;
    }
    if (eof_) {
        if (in_flight_ == 0 && !in_pool_ && !framer_.ready()) finish({});
        return;
    }
    if (reading_) return;
    if (!framer_.ready() && !over_output() && in_flight_ < limits.max_requests_in_flight) {
        read();
    } else {
        partial_since_.reset();  // berthd is not reading: the stall is not the client's
    }
}

void connection::dispatch(std::string line) {
    ++in_flight_;
    in_pool_ = true;
    // A line that may be session.stream stops the reading until it is known: the bytes after
    // it may be frames, not lines. Its method cannot be spelled without "stream" or an escape.
    if (line.find("stream") != std::string::npos || line.find('\\') != std::string::npos)
        mode_ = mode::stream_pending;
    auto self = shared_from_this();
    // Parsing runs off the I/O thread too: a 1 MiB line takes milliseconds, and the I/O thread
    // serves everyone.
    services_.calls.run_quick([self, line = std::move(line)] {
        const auto post = [self](auto fn) {
            asio::post(self->socket_.get_executor(), std::move(fn));
        };
        const auto reply = [self, post](std::string frame) {
            post([self, frame = std::move(frame)]() mutable { self->on_reply(std::move(frame)); });
        };
        // Whatever is thrown here (bad_alloc, a bug) costs this line its answer, never the
        // process, and never the connection's slots: on_reply and on_pool_done always come.
        const auto guarded = [](auto&& fn) -> std::string {
            try {
                return fn();
            } catch (const std::exception& e) {
                return wire::to_frame(error_reply(nullptr, err::internal_error, BERTH_ERR_INTERNAL,
                                                  std::string("internal error: ") + e.what()));
            } catch (...) {
                return wire::to_frame(error_reply(nullptr, err::internal_error, BERTH_ERR_INTERNAL,
                                                  "internal error: unknown exception"));
            }
        };
        std::shared_ptr<parsed_line> parsed;
        std::string frame = guarded([&] {
            parsed = std::make_shared<parsed_line>(parse_line(line));
            return std::string();
        });
        const auto* stream_call = parsed && !parsed->batch && parsed->items.size() == 1
                                      ? std::get_if<rpc_call>(&parsed->items.front())
                                      : nullptr;
        if (stream_call != nullptr && stream_call->method != "session.stream")
            stream_call = nullptr;
        if (!parsed) {
            reply(std::move(frame));
        } else if (stream_call != nullptr) {
            std::variant<stream_request, std::string> prepared =
                stream_call->notification
                    ? wire::to_frame(error_reply(
                          nullptr, err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
                          "session.stream needs an 'id': its reply is what starts the stream"))
                    : std::string();
            if (!stream_call->notification) {
                frame = guarded([&] {
                    prepared = self->services_.rpc.prepare_stream(*stream_call);
                    return std::string();
                });
                if (!frame.empty()) prepared = std::move(frame);
            }
            post([self, prepared = std::move(prepared)]() mutable {
                self->start_stream(std::move(prepared));
            });
        } else if (!may_block(*parsed)) {
            reply(guarded(
                [&] { return self->services_.rpc.execute(*parsed, self->stop_.get_token()); }));
        } else if (!self->services_.calls.run_blocking([self, parsed, reply, guarded] {
                       reply(guarded([&] {
                           return self->services_.rpc.execute(*parsed, self->stop_.get_token());
                       }));
                   })) {
            auto& s = self->services_;
            s.limits_hit.hit(limit::max_blocking_calls);
            spdlog::warn("refused a waiting call: {} are running (max_blocking_calls)",
                         s.calls.max_blocking());
            reply(guarded([&] {
                return error_frame_for(*parsed, err::limit_reached, BERTH_ERR_UNAVAILABLE,
                                       "limit reached: " + std::to_string(s.calls.max_blocking()) +
                                           " waiting calls are running (max_blocking_calls); "
                                           "retry later");
            }));
        }
        post([self] { self->on_pool_done(); });
    });
}

// The line left the pool (answered, or handed to a thread of its own): the next may go.
void connection::on_pool_done() {
    in_pool_ = false;
    if (mode_ == mode::stream_pending) {  // it was not a stream after all, or was refused
        mode_ = mode::lines;
        if (eof_) framer_.finish();
    }
    pump();
}

void connection::on_reply(std::string frame) {
    --in_flight_;
    if (closed_) return;
    if (!frame.empty()) queue(std::move(frame));
    pump();
}

void connection::queue(std::string frame) {
    queued_bytes_ += frame.size();
    out_.push_back(std::move(frame));
    if (over_output() && !over_since_) over_since_ = clock::now();
    if (!writing_) write_next();
}

void connection::write_next() {
    if (out_.empty() || closed_) {
        writing_ = false;
        return;
    }
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(out_.front()),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
            self->writing_ = false;
            if (self->closed_) return;
            if (ec) {  // the peer is gone: nothing it asked for matters any more
                self->close();
                return;
            }
            self->queued_bytes_ -= self->out_.front().size();
            self->out_.pop_front();
            if (!self->over_output()) self->over_since_.reset();
            if (self->out_.empty() && self->mode_ == mode::stream_reply) {
                self->enter_raw();  // the stream's reply is out: frames from here on
                return;
            }
            if (self->out_.empty() && self->finishing_) {
                self->linger();
                return;
            }
            self->write_next();
            self->pump();
        });
}

}  // namespace berth::daemon
