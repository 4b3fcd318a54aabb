// The client end of a session.stream (docs/api.md): berthd's frames in, input frames out, on
// the connection a daemon_client turned into a stream. Every wait is bounded by a timeout.
// One thread may call next() while another sends: they use different directions of the
// socket and share nothing else.
#pragma once

#include <berth/host/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stream_frame.hpp"

namespace berth::cli {

class stream_client {
public:
    // Takes the connected fd (its reply already read) and the bytes that came after the
    // reply's newline.
    stream_client(int fd, std::string already_read, std::uint64_t cursor, std::uint64_t end);
    stream_client(stream_client&& o) noexcept;
    stream_client& operator=(stream_client&&) = delete;
    stream_client(const stream_client&) = delete;
    stream_client& operator=(const stream_client&) = delete;
    ~stream_client();

    // Where berthd starts and where the output ended at the request (from its reply).
    [[nodiscard]] std::uint64_t cursor() const noexcept { return cursor_; }
    [[nodiscard]] std::uint64_t end_offset() const noexcept { return end_offset_; }

    // The next frame. BERTH_ERR_TIMEOUT when none came within timeout (the stream goes on);
    // BERTH_ERR_UNAVAILABLE when berthd closed the connection or it failed; BERTH_ERR_INTERNAL
    // when berthd sent something that is not a frame.
    [[nodiscard]] host::result<wire::stream_frame> next(std::chrono::milliseconds timeout);

    // Input frames (input:true streams only); bytes over one frame's bound go as several.
    [[nodiscard]] host::result<void> send_input(std::string_view bytes,
                                                std::chrono::milliseconds timeout);
    [[nodiscard]] host::result<void> close_input(std::chrono::milliseconds timeout);
    [[nodiscard]] host::result<void> resize(std::uint16_t rows, std::uint16_t cols,
                                            std::chrono::milliseconds timeout);
    [[nodiscard]] host::result<void> signal(int signo, std::chrono::milliseconds timeout);

    // Shuts the connection down both ways: a next() waiting in another thread returns.
    void shutdown() noexcept;
    // The socket, for a caller that wakes a blocked next() from another thread.
    [[nodiscard]] int native_handle() const noexcept { return fd_; }

private:
    host::result<void> send_frame(std::string_view frame, std::chrono::milliseconds timeout);

    int fd_ = -1;
    wire::frame_parser parser_{wire::frame_parser::sender::server};
    std::vector<char> buf_;  // next()'s receive buffer, allocated at its first read
    std::uint64_t cursor_ = 0;
    std::uint64_t end_offset_ = 0;
    bool closed_ = false;  // berthd closed its end
};

}  // namespace berth::cli
