// The binary frames of a session.stream connection (docs/api.md, "session.stream"): after the
// JSON-RPC reply that accepts the stream, both directions carry only these. Shared by berthd
// and its clients; no sockets here, so the format is testable byte by byte.
//
// A frame is an 8-byte header, then `length` bytes of payload:
//   u8 type, u8 stream, u16 reserved (0), u32 length (big-endian), payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace berth::wire {

inline constexpr std::size_t k_frame_header_bytes = 8;
// Largest payload either side sends or accepts: a frame is read whole before it is acted on,
// so this bounds what one frame can make the receiver hold.
inline constexpr std::size_t k_max_frame_payload = std::size_t{1} << 20;

enum class frame_type : std::uint8_t {
    // berthd -> client
    data = 1,     // stream byte 1 stdout, 2 stderr, 3 pty (registry::stream); the bytes
    dropped = 2,  // u64 BE: bytes lost before the next DATA
    end = 3,      // UTF-8 JSON object: state, next_cursor, exit_code, signal, reason
    // client -> berthd (input:true only)
    input = 16,        // bytes for the session's stdin
    close_input = 17,  // no payload
    resize = 18,       // u16 rows, u16 cols, BE
    signal = 19,       // u32 signal number, BE
};

struct stream_frame {
    frame_type type = frame_type::data;
    std::uint8_t stream = 0;
    std::string payload;
};

// The header of a frame with this type, stream byte and payload length.
[[nodiscard]] std::string frame_header(frame_type type, std::uint8_t stream, std::size_t length);

// Whole frames. A payload over k_max_frame_payload is a caller's bug: std::length_error.
[[nodiscard]] std::string encode_frame(frame_type type, std::uint8_t stream,
                                       std::string_view payload);
[[nodiscard]] std::string dropped_frame(std::uint64_t bytes);
[[nodiscard]] std::string end_frame(std::string_view json_object);
[[nodiscard]] std::string input_frame(std::string_view bytes);
[[nodiscard]] std::string close_input_frame();
[[nodiscard]] std::string resize_frame(std::uint16_t rows, std::uint16_t cols);
[[nodiscard]] std::string signal_frame(std::uint32_t signo);

// Payload readers for frames a frame_parser accepted (their sizes are checked there).
[[nodiscard]] std::uint64_t dropped_bytes(const stream_frame& f);
struct terminal_size_payload {
    std::uint16_t rows = 0;
    std::uint16_t cols = 0;
};
[[nodiscard]] terminal_size_payload resize_of(const stream_frame& f);
[[nodiscard]] std::uint32_t signal_of(const stream_frame& f);

// Cuts a byte stream into frames as it arrives, in any pieces. It accepts the frames one side
// sends and nothing else: a header is checked as soon as its 8 bytes are in (type, stream
// byte, reserved, length, the payload size the type requires), so an oversized frame is
// refused before any of its payload is held. After the first malformed frame it takes nothing
// more; error() says what was wrong.
class frame_parser {
public:
    enum class sender { server, client };
    explicit frame_parser(sender from) : from_(from) {}

    // False once the stream is malformed (now or before).
    bool feed(std::string_view bytes);
    // The next complete frame, in arrival order.
    [[nodiscard]] std::optional<stream_frame> next();

    [[nodiscard]] bool failed() const noexcept { return !error_.empty(); }
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    // True while part of a frame (header or payload) is held.
    [[nodiscard]] bool mid_frame() const noexcept { return header_fill_ > 0; }
    // Complete frames waiting for next().
    [[nodiscard]] std::size_t ready() const noexcept { return ready_.size(); }

private:
    bool check_header();

    sender from_;
    unsigned char header_[k_frame_header_bytes] = {};
    std::size_t header_fill_ = 0;  // bytes of the current header; 8 once it is complete
    std::size_t length_ = 0;       // payload length of the current frame
    stream_frame current_;
    std::deque<stream_frame> ready_;
    std::string error_;
};

}  // namespace berth::wire
