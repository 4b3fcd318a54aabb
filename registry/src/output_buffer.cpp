#include <berth/registry/output_buffer.hpp>

#include <algorithm>
#include <cstring>

namespace berth::registry {

std::string_view to_string(stream s) noexcept {
    switch (s) {
        case stream::out:
            return "stdout";
        case stream::err:
            return "stderr";
        case stream::pty:
            return "pty";
    }
    // Values can arrive from the C ABI unchecked; name them rather than invoke UB.
    return "unknown";
}

std::string read_result::joined() const {
    std::size_t total = 0;
    for (const auto& chunk : chunks) {
        total += chunk.bytes.size();
    }
    std::string out;
    out.reserve(total);
    for (const auto& chunk : chunks) {
        out += chunk.bytes;
    }
    return out;
}

output_buffer::output_buffer(std::size_t capacity) : capacity_(capacity) {}

void output_buffer::reallocate(std::size_t bytes) {
    std::unique_ptr<char[]> fresh;
    if (bytes > 0) {
        // new char[] leaves the bytes uninitialised: pages not yet written are not touched.
        fresh.reset(new char[bytes]);
        const std::size_t first = std::min(size_, allocated_ - head_);
        if (size_ > 0) {
            std::memcpy(fresh.get(), data_.get() + head_, first);
            std::memcpy(fresh.get() + first, data_.get(), size_ - first);
        }
    }
    data_ = std::move(fresh);
    allocated_ = bytes;
    head_ = 0;
}

void output_buffer::shrink_to_fit() {
    if (allocated_ > size_) {
        reallocate(size_);
    }
    segments_.shrink_to_fit();
}

void output_buffer::start_at(std::uint64_t offset) {
    if (size_ != 0 || begin_ != 0) throw std::logic_error("output_buffer::start_at after output");
    begin_ = offset;
}

void output_buffer::append(stream source, std::string_view bytes) {
    if (bytes.empty()) {
        return;  // an empty run would leave a zero-length segment behind
    }
    const std::size_t cap = capacity_;
    const std::uint64_t old_end = end_offset();
    if (cap == 0) {
        // Nothing is kept: the bytes are counted and are at once behind begin_offset(), so
        // readers see them as dropped. No segment either: none of its bytes is held.
        begin_ = old_end + bytes.size();
        return;
    }

    if (bytes.size() >= cap) {
        // Only the newest `cap` bytes survive; everything older, including what was held,
        // becomes dropped for readers. Restart the ring at index 0 for a single copy; nothing
        // held needs to move, so a smaller ring is replaced rather than copied.
        if (allocated_ < cap) {
            data_.reset(new char[cap]);
            allocated_ = cap;
        }
        const std::size_t skip = bytes.size() - cap;
        std::memcpy(data_.get(), bytes.data() + skip, cap);
        head_ = 0;
        size_ = cap;
        begin_ = old_end + skip;
        segments_.clear();
        segments_.push_back({begin_, source});
        return;
    }

    const std::size_t n = bytes.size();
    if (size_ + n > allocated_ && allocated_ < cap) {
        // Grow geometrically (amortised O(1) per byte), to at least what is needed, never past
        // the bound. The held bytes move to the front of the new ring.
        const std::size_t grown = std::max({size_ + n, allocated_ * 2, k_initial_allocation});
        reallocate(std::min(grown, cap));
    }
    // The ring is now either big enough, or at capacity: then the oldest bytes make room.
    const std::size_t ring = allocated_;
    if (size_ + n > ring) {
        const std::size_t overflow = size_ + n - ring;
        head_ = (head_ + overflow) % ring;
        size_ -= overflow;
        begin_ += overflow;
    }

    const std::size_t tail = (head_ + size_) % ring;
    const std::size_t first = std::min(n, ring - tail);
    std::memcpy(data_.get() + tail, bytes.data(), first);
    std::memcpy(data_.get(), bytes.data() + first, n - first);
    size_ += n;

    if (segments_.empty() || segments_.back().source != source) {
        segments_.push_back({old_end, source});
    }
    // A segment ends where the next begins; once that is at or before begin_, none of it is
    // buffered any more.
    while (segments_.size() >= 2 && segments_[1].begin <= begin_) {
        segments_.pop_front();
    }
}

read_result output_buffer::read(std::uint64_t cursor, std::size_t max_bytes) const {
    read_result result;
    result.next_cursor = cursor;
    const std::uint64_t end = end_offset();
    if (cursor > end) {
        return result;
    }

    const std::uint64_t start = std::max(cursor, begin_);
    result.dropped = start - cursor;
    // Written as a min over lengths so a max_bytes of SIZE_MAX cannot overflow start + max.
    const std::uint64_t stop = start + std::min<std::uint64_t>(end - start, max_bytes);
    result.next_cursor = stop;
    if (start == stop) {
        return result;
    }

    // The first segment that can hold `start` is the last one beginning at or before it.
    auto it = std::upper_bound(segments_.begin(), segments_.end(), start,
                               [](std::uint64_t off, const segment& s) { return off < s.begin; });
    if (it != segments_.begin()) {
        --it;
    }
    for (; it != segments_.end(); ++it) {
        const auto next = std::next(it);
        const std::uint64_t seg_begin = std::max(it->begin, start);
        const std::uint64_t seg_end = std::min(next == segments_.end() ? end : next->begin, stop);
        if (seg_begin >= stop) {
            break;
        }
        if (seg_end > seg_begin) {
            result.chunks.push_back({it->source, copy_range(seg_begin, seg_end)});
        }
    }
    return result;
}

std::string output_buffer::copy_range(std::uint64_t from, std::uint64_t to) const {
    from = std::max(from, begin_);
    to = std::min(to, end_offset());
    if (from >= to) {
        return {};
    }
    // from < to <= end_offset(), so something is held and the ring is allocated.
    const std::size_t ring = allocated_;
    const std::size_t len = to - from;
    const std::size_t index = (head_ + (from - begin_)) % ring;
    const std::size_t first = std::min(len, ring - index);

    std::string out(len, '\0');
    std::memcpy(out.data(), data_.get() + index, first);
    std::memcpy(out.data() + first, data_.get(), len - first);
    return out;
}

}  // namespace berth::registry
