// A bounded byte buffer addressed by absolute offsets.
//
// Every byte a session ever produced has an absolute offset (0, 1, 2, ...). The buffer keeps
// the newest `capacity` bytes; readers hold a cursor (an absolute offset) and get back what is
// still there, the next cursor, and how many bytes they missed because the buffer wrapped past
// them. stdout and stderr stay distinguishable: each chunk carries the stream it came from.
//
// Memory follows the output: the buffer starts with no storage, grows geometrically as bytes
// arrive (up to `capacity`, never past it), and shrink_to_fit() gives back whatever is not
// holding bytes, e.g. once a session has ended. Growing and shrinking change only where the
// bytes live, never offsets, `dropped` or stream runs.
//
// A capacity of 0 keeps no bytes at all, but still counts them: offsets advance as if the bytes
// had been held and wrapped out at once, so a reader is told exactly how many it missed. That is
// for sessions whose output only observers see as it arrives (`berth run` writes it straight to
// its own stdout): no copy into a ring nobody reads.
//
// Not thread-safe on its own: session_entry guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
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
    // The bytes at the cursor exist but could not be read now (a session log that could not
    // be opened or read): nothing is returned or counted as dropped; ask again later.
    bool unavailable = false;

    // All chunks' bytes joined, streams merged.
    [[nodiscard]] std::string joined() const;
};

class output_buffer {
public:
    static constexpr std::size_t k_default_capacity = std::size_t{1} << 20;  // 1 MiB
    // The first allocation, unless the first append needs more or capacity is smaller.
    static constexpr std::size_t k_initial_allocation = std::size_t{4} << 10;  // 4 KiB

    // Allocates nothing yet: storage comes with the first append (never, for capacity 0).
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
    // The most bytes kept (the bound), whatever is allocated now.
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    // Bytes held: end_offset() - begin_offset().
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    // Bytes of ring storage allocated now: 0 before the first append, at most capacity(),
    // exactly size() after shrink_to_fit().
    [[nodiscard]] std::size_t allocated() const noexcept { return allocated_; }

    // Gives back the storage not holding bytes: keeps exactly the bytes held, at the same
    // offsets and with the same streams (none at all when empty). A later append grows again.
    void shrink_to_fit();

    // For a buffer that has taken nothing yet: its output begins at `offset` (a session whose
    // earlier output is kept elsewhere, such as a restored log). Readers of older offsets are
    // told they were dropped.
    void start_at(std::uint64_t offset);

private:
    struct segment {
        std::uint64_t begin;  // absolute offset of the first byte of this run
        stream source;
    };

    // Makes the ring `bytes` long (size_ <= bytes <= capacity_), its held bytes laid out
    // from index 0.
    void reallocate(std::size_t bytes);

    std::size_t capacity_;          // the bound
    std::unique_ptr<char[]> data_;  // ring storage of allocated_ bytes (uninitialised)
    std::size_t allocated_ = 0;     // <= capacity_
    std::size_t head_ = 0;          // ring index of begin_ (0 while nothing is allocated)
    std::size_t size_ = 0;          // bytes held, <= allocated_
    std::uint64_t begin_ = 0;
    std::deque<segment> segments_;  // run starts, ascending; front covers begin_
};

}  // namespace berth::registry
