// The output half of a session.stream (docs/api.md): on a blocking-call thread of its own, it
// reads the session's output from the cursor on and writes it to the client's socket as
// DATA/DROPPED frames, then END. It writes to the socket's fd directly, without the I/O
// thread: a copy through asio's queue would cost the I/O thread every byte, and the I/O
// thread writes nothing on this connection once the stream has begun.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "rpc_service.hpp"

namespace berth::daemon {

// Opened by the I/O thread once the reply that accepts the stream is written: only then may
// the pump write to the socket.
class stream_gate {
public:
    void open();
    // True once opened; false when `stop` is requested or the timeout passes first.
    [[nodiscard]] bool wait(std::stop_token stop, std::chrono::milliseconds timeout);

private:
    std::mutex mutex_;
    std::condition_variable_any opened_;
    bool open_ = false;
};

enum class pump_end {
    finished,   // END was sent
    peer_gone,  // the socket failed (the client closed, or berthd shut it down)
    stalled,    // the client read nothing for stall_timeout
    stopped,    // the connection's stop was requested
};

// Serves `r` on fd (non-blocking, the connection's socket) until one of pump_end. Every wait
// is bounded: output waits by a second at a time (re-checking `stop`), socket writes by
// stall_timeout.
[[nodiscard]] pump_end pump_output(const stream_request& r, int fd, std::stop_token stop,
                                   std::chrono::milliseconds stall_timeout);

[[nodiscard]] const char* to_string(pump_end e) noexcept;

// Trims a read from `cursor` so that it ends at `end` at the latest: when the buffer wrapped
// since the request, a read past the gap (DROPPED) would otherwise bring bytes written after
// it. The gap itself is cut at `end` too.
void clamp_read(registry::read_result& r, std::uint64_t cursor, std::uint64_t end);

}  // namespace berth::daemon
