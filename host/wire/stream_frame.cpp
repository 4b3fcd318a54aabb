#include "stream_frame.hpp"

#include <signal.h>

#include <algorithm>
#include <stdexcept>

namespace berth::wire {
namespace {

void put_be(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_be(const unsigned char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
    return v;
}

std::uint64_t get_be(std::string_view s, std::size_t at, int bytes) {
    return get_be(reinterpret_cast<const unsigned char*>(s.data()) + at, bytes);
}

// The payload size a type requires; nullopt when any size up to the maximum will do.
std::optional<std::size_t> fixed_size(frame_type t) {
    switch (t) {
        case frame_type::dropped:
            return 8;
        case frame_type::close_input:
            return 0;
        case frame_type::resize:
        case frame_type::signal:
            return 4;
        default:
            return std::nullopt;
    }
}

}  // namespace

std::string frame_header(frame_type type, std::uint8_t stream, std::size_t length) {
    if (length > k_max_frame_payload)
        throw std::length_error("stream frame payload of " + std::to_string(length) +
                                " bytes: at most " + std::to_string(k_max_frame_payload));
    std::string h;
    h.reserve(k_frame_header_bytes);
    h.push_back(static_cast<char>(type));
    h.push_back(static_cast<char>(stream));
    put_be(h, 0, 2);
    put_be(h, length, 4);
    return h;
}

std::string encode_frame(frame_type type, std::uint8_t stream, std::string_view payload) {
    std::string f = frame_header(type, stream, payload.size());
    f.append(payload);
    return f;
}

std::string dropped_frame(std::uint64_t bytes) {
    std::string p;
    put_be(p, bytes, 8);
    return encode_frame(frame_type::dropped, 0, p);
}

std::string end_frame(std::string_view json_object) {
    return encode_frame(frame_type::end, 0, json_object);
}

std::string input_frame(std::string_view bytes) {
    return encode_frame(frame_type::input, 0, bytes);
}

std::string close_input_frame() { return encode_frame(frame_type::close_input, 0, {}); }

std::string resize_frame(std::uint16_t rows, std::uint16_t cols) {
    std::string p;
    put_be(p, rows, 2);
    put_be(p, cols, 2);
    return encode_frame(frame_type::resize, 0, p);
}

std::string signal_frame(std::uint32_t signo) {
    std::string p;
    put_be(p, signo, 4);
    return encode_frame(frame_type::signal, 0, p);
}

std::uint64_t dropped_bytes(const stream_frame& f) { return get_be(f.payload, 0, 8); }

terminal_size_payload resize_of(const stream_frame& f) {
    return {static_cast<std::uint16_t>(get_be(f.payload, 0, 2)),
            static_cast<std::uint16_t>(get_be(f.payload, 2, 2))};
}

std::uint32_t signal_of(const stream_frame& f) {
    return static_cast<std::uint32_t>(get_be(f.payload, 0, 4));
}

bool frame_parser::check_header() {
    const auto type = header_[0];
    const auto stream = header_[1];
    const auto reserved = get_be(header_ + 2, 2);
    length_ = static_cast<std::size_t>(get_be(header_ + 4, 4));
    const auto t = static_cast<frame_type>(type);
    const bool known =
        from_ == sender::server
            ? (t == frame_type::data || t == frame_type::dropped || t == frame_type::end)
            : (t == frame_type::input || t == frame_type::close_input || t == frame_type::resize ||
               t == frame_type::signal);
    const auto name = "frame type " + std::to_string(type);
    if (!known) {
        error_ = "unknown " + name + " from the " +
                 (from_ == sender::server ? std::string("server") : std::string("client"));
    } else if (reserved != 0) {
        error_ = name + ": reserved bytes must be 0, got " + std::to_string(reserved);
    } else if (t == frame_type::data ? (stream < 1 || stream > 3) : stream != 0) {
        error_ =
            name + ": stream byte " + std::to_string(stream) +
            (t == frame_type::data ? " is not 1 (stdout), 2 (stderr) or 3 (pty)" : " must be 0");
    } else if (length_ > k_max_frame_payload) {
        error_ = name + ": payload of " + std::to_string(length_) + " bytes, at most " +
                 std::to_string(k_max_frame_payload);
    } else if (const auto size = fixed_size(t); size && length_ != *size) {
        error_ = name + ": payload of " + std::to_string(length_) + " bytes, must be " +
                 std::to_string(*size);
    }
    if (!error_.empty()) return false;
    current_ = stream_frame{t, stream, {}};
    current_.payload.reserve(length_);
    return true;
}

bool frame_parser::feed(std::string_view bytes) {
    while (!bytes.empty() && error_.empty()) {
        if (header_fill_ < k_frame_header_bytes) {
            const auto n = std::min(bytes.size(), k_frame_header_bytes - header_fill_);
            std::copy_n(bytes.data(), n, header_ + header_fill_);
            header_fill_ += n;
            bytes.remove_prefix(n);
            if (header_fill_ < k_frame_header_bytes || !check_header()) continue;
        }
        const auto n = std::min(bytes.size(), length_ - current_.payload.size());
        current_.payload.append(bytes.data(), n);
        bytes.remove_prefix(n);
        if (current_.payload.size() < length_) continue;
        // Values the size check cannot see: a terminal of 0 rows, a signal that is none.
        if (current_.type == frame_type::resize) {
            const auto size = resize_of(current_);
            if (size.rows == 0 || size.cols == 0)
                error_ = "resize frame: rows and cols must be between 1 and 65535, got " +
                         std::to_string(size.rows) + "x" + std::to_string(size.cols);
        } else if (current_.type == frame_type::signal) {
            const auto signo = signal_of(current_);
            if (signo == 0 || signo >= static_cast<std::uint32_t>(NSIG))
                error_ = "signal frame: " + std::to_string(signo) + " is not a signal number";
        }
        if (!error_.empty()) break;
        ready_.push_back(std::move(current_));
        current_ = {};
        header_fill_ = 0;
    }
    return error_.empty();
}

std::optional<stream_frame> frame_parser::next() {
    if (ready_.empty()) return std::nullopt;
    auto f = std::move(ready_.front());
    ready_.pop_front();
    return f;
}

}  // namespace berth::wire
