// A bounded byte buffer addressed by absolute offsets.
//
// Every byte a session ever produced has an absolute offset (0, 1, 2, ...). The buffer keeps
// the newest `capacity` bytes; readers hold a cursor (an absolute offset) and get back what is
// still there, the next cursor, and how many bytes they missed because the buffer wrapped past
// them. stdout and stderr stay distinguishable: each chunk carries the stream it came from.
//
// Not thread-safe on its own: session_entry guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

enum class stream : std::uint8_t { out = 1, err = 2, pty = 3 };

[[nodiscard]] std::string_view to_string(stream s) noexcept;

struct output_chunk {
    stream source = stream::out;
    std::string bytes;
};

struct read_result {
    std::vector<output_chunk> chunks;  // consecutive runs of one stream, in order
    std::uint64_t next_cursor = 0;     // pass this back to read on
    std::uint64_t dropped = 0;         // bytes between the cursor and what is still buffered

    // All chunks' bytes joined, streams merged.
    [[nodiscard]] std::string joined() const;
};

class output_buffer {
public:
    static constexpr std::size_t k_default_capacity = std::size_t{1} << 20;  // 1 MiB

    explicit output_buffer(std::size_t capacity = k_default_capacity);

    void append(stream source, std::string_view bytes);

    // Bytes from `cursor` on, at most max_bytes. A cursor older than begin_offset() reads
    // from begin_offset() and reports the gap as dropped; a cursor past end_offset() reads
    // nothing and is returned unchanged.
    [[nodiscard]] read_result read(std::uint64_t cursor, std::size_t max_bytes) const;

    // Raw bytes of [from, to), clamped to what is buffered; streams merged.
    [[nodiscard]] std::string copy_range(std::uint64_t from, std::uint64_t to) const;

    [[nodiscard]] std::uint64_t begin_offset() const noexcept { return begin_; }
    [[nodiscard]] std::uint64_t end_offset() const noexcept { return begin_ + size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return data_.size(); }

private:
    struct segment {
        std::uint64_t begin;  // absolute offset of the first byte of this run
        stream source;
    };

    std::vector<char> data_;  // ring storage of capacity bytes
    std::size_t head_ = 0;    // ring index of begin_
    std::size_t size_ = 0;    // bytes held
    std::uint64_t begin_ = 0;
    std::deque<segment> segments_;  // run starts, ascending; front covers begin_
};

}  // namespace berth::registry
