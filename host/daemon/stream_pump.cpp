#include "stream_pump.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "session_json.hpp"
#include "stream_frame.hpp"

namespace berth::daemon {
namespace {
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// How long one output wait lasts before the pump looks at `stop` again (the stop token
// wakes it anyway; this is the fallback).
constexpr auto k_output_wait = 1s;

// Writes header + payload with one sendmsg per attempt (no copy of the payload into a frame
// buffer). Waits for room with poll, bounded by the stall timeout: a client that reads
// nothing for that long is given up on, and costs berthd nothing after.
class frame_sender {
public:
    frame_sender(int fd, std::chrono::milliseconds stall) : fd_(fd), stall_(stall) {}

    // finished means sent here.
    pump_end send(std::string_view header, std::string_view payload) {
        iovec iov[2] = {{const_cast<char*>(header.data()), header.size()},
                        {const_cast<char*>(payload.data()), payload.size()}};
        std::size_t left = header.size() + payload.size();
        auto since = steady::now();
        while (left > 0) {
            msghdr msg{};
            msg.msg_iov = iov[0].iov_len > 0 ? iov : iov + 1;
            msg.msg_iovlen = iov[0].iov_len > 0 ? 2 : 1;
            const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                advance(iov, static_cast<std::size_t>(n));
                left -= static_cast<std::size_t>(n);
                since = steady::now();  // the client is reading: the stall clock restarts
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return pump_end::peer_gone;
            const auto waited = steady::now() - since;
            if (waited >= stall_) return pump_end::stalled;
            const auto ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(stall_ - waited).count();
            pollfd p{fd_, POLLOUT, 0};
            // POLLHUP/POLLERR come back too: the next sendmsg then says EPIPE.
            if (::poll(&p, 1, static_cast<int>(std::max<long long>(ms, 1))) < 0 && errno != EINTR)
                return pump_end::peer_gone;
        }
        return pump_end::finished;
    }

private:
    static void advance(iovec* iov, std::size_t n) {
        for (int i = 0; i < 2 && n > 0; ++i) {
            const auto k = std::min(n, iov[i].iov_len);
            iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + k;
            iov[i].iov_len -= k;
            n -= k;
        }
    }

    int fd_;
    std::chrono::milliseconds stall_;
};

// Sends one read's worth: DROPPED first (the gap comes before these bytes), then DATA.
pump_end send_read(frame_sender& out, const registry::read_result& r) {
    if (r.dropped > 0) {
        const auto f = wire::dropped_frame(r.dropped);
        if (const auto e = out.send(f, {}); e != pump_end::finished) return e;
    }
    for (const auto& c : r.chunks) {
        std::string_view bytes = c.bytes;
        while (!bytes.empty()) {  // a chunk is at most the read's max, but never trust that
            const auto piece = bytes.substr(0, wire::k_max_frame_payload);
            const auto h = wire::frame_header(wire::frame_type::data,
                                              static_cast<std::uint8_t>(c.source), piece.size());
            if (const auto e = out.send(h, piece); e != pump_end::finished) return e;
            bytes.remove_prefix(piece.size());
        }
    }
    return pump_end::finished;
}

pump_end send_end(frame_sender& out, const registry::session_entry& e, std::uint64_t cursor) {
    const auto rec = e.snapshot();
    nlohmann::json j = {{"state", std::string(registry::to_string(rec.state))},
                        {"next_cursor", cursor}};
    wire::put_exit_status(j, rec);
    const auto f =
        wire::end_frame(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return out.send(f, {});
}

}  // namespace

void stream_gate::open() {
    {
        const std::lock_guard lock(mutex_);
        open_ = true;
    }
    opened_.notify_all();
}

bool stream_gate::wait(std::stop_token stop, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return opened_.wait_for(lock, stop, timeout, [this] { return open_; });
}

pump_end pump_output(const stream_request& r, int fd, std::stop_token stop,
                     std::chrono::milliseconds stall_timeout) {
    frame_sender out(fd, stall_timeout);
    const auto& entry = *r.entry;
    std::uint64_t cursor = r.cursor;
    constexpr std::size_t k_max = wire::k_max_frame_payload;
    if (!r.follow) {
        // What existed at the request, and not a byte more: the reply told the client where
        // this ends (end_offset).
        while (cursor < r.end_offset) {
            if (stop.stop_requested()) return pump_end::stopped;
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(k_max, r.end_offset - cursor));
            auto got = entry.read(cursor, want);
            // `want` bounds the bytes read, not where they end: after a gap they start later.
            clamp_read(got, cursor, r.end_offset);
            if (const auto e = send_read(out, got); e != pump_end::finished) return e;
            if (got.next_cursor <= cursor) break;  // nothing more to be had (cannot happen)
            cursor = got.next_cursor;
        }
        return send_end(out, entry, cursor);
    }
    while (!stop.stop_requested()) {
        // The state before the read: final then means the read sees all there will be (the
        // plugin reports the exit after the last output).
        const bool final_before = registry::is_final(entry.state());
        const auto got = entry.wait_read(cursor, k_max, k_output_wait, stop);
        if (const auto e = send_read(out, got); e != pump_end::finished) return e;
        const bool progressed = got.next_cursor != cursor;
        cursor = got.next_cursor;
        if (final_before && !progressed) return send_end(out, entry, cursor);
    }
    return pump_end::stopped;
}

void clamp_read(registry::read_result& r, std::uint64_t cursor, std::uint64_t end) {
    if (cursor >= end) {
        r.chunks.clear();
        r.dropped = 0;
        r.next_cursor = cursor;
        return;
    }
    r.dropped = std::min(r.dropped, end - cursor);
    std::uint64_t room = end - cursor - r.dropped;  // bytes that may follow the gap
    std::size_t kept = 0;
    for (auto& c : r.chunks) {
        if (room == 0) break;
        if (c.bytes.size() > room) c.bytes.resize(static_cast<std::size_t>(room));
        room -= c.bytes.size();
        ++kept;
    }
    r.chunks.resize(kept);
    r.next_cursor = std::min(r.next_cursor, end);
}

const char* to_string(pump_end e) noexcept {
    switch (e) {
        case pump_end::finished:
            return "finished";
        case pump_end::peer_gone:
            return "client gone";
        case pump_end::stalled:
            return "stalled";
        case pump_end::stopped:
            return "stopped";
    }
    return "?";
}

}  // namespace berth::daemon
