// Splits a connection's byte stream into request lines. Holds the lines of the last read and
// at most max_line_bytes of a line still without its newline: a line longer than that is
// skipped up to its newline and reported once, in its place, so the connection stays usable.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace berth::daemon {

class line_framer {
public:
    explicit line_framer(std::size_t max_line_bytes) : max_line_(max_line_bytes) {}

    struct frame {
        bool too_long = false;  // a line past the limit was skipped; `line` is empty
        std::string line;       // without its newline
    };

    // Takes bytes from the socket.
    void feed(std::string_view bytes);
    // The peer sent its last byte: a last line without a newline counts as a line.
    void finish();

    // The next complete line (or skipped-line report), in arrival order.
    [[nodiscard]] std::optional<frame> next();

    // True while a line without its newline yet is held or being skipped.
    [[nodiscard]] bool partial() const noexcept { return discarding_ || !tail_.empty(); }
    // True when next() has something.
    [[nodiscard]] bool ready() const noexcept { return !ready_.empty(); }
    // Everything held, as the bytes it came as (complete lines with their newlines, then the
    // incomplete one), and the framer empty: a connection that stops speaking in lines takes
    // what followed the last line it answered. nullopt when a line over the limit was skipped
    // (its bytes are gone).
    [[nodiscard]] std::optional<std::string> take_rest();
    // Bytes held, complete lines and the incomplete one.
    [[nodiscard]] std::size_t buffered() const noexcept { return ready_bytes_ + tail_.size(); }

private:
    const std::size_t max_line_;
    std::deque<frame> ready_;
    std::size_t ready_bytes_ = 0;
    std::string tail_;         // the line being received
    bool discarding_ = false;  // the line being received is over the limit: skipping it
};

}  // namespace berth::daemon
