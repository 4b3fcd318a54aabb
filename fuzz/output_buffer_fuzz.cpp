// Fuzzes registry::output_buffer against a model that keeps every byte ever appended.
//
// The input is a capacity, then a sequence of operations: appends (of input bytes, and of
// generated runs around and past the capacity, on every stream and on stream values the C ABI
// could pass unchecked), reads at arbitrary cursors with arbitrary max_bytes, copy_range,
// tailing reads, and shrink_to_fit() where the buffer has one. After each operation the
// buffer must hold exactly the newest `capacity` bytes, and every read must return the model's
// bytes at those offsets, exact `dropped`, a consistent next_cursor, and chunks that are
// non-empty runs of the stream each byte came from.
#include <berth/registry/output_buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "byte_reader.hpp"
#include "fuzz_check.hpp"

namespace berth::fuzz {
namespace {

using registry::output_buffer;
using registry::read_result;
using registry::stream;

constexpr std::uint64_t k_max_u64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t k_max_size = std::numeric_limits<std::size_t>::max();
// The model holds every byte appended; past this an input stops appending (it is about
// positions, not volume, and a large model only slows the fuzzer down).
constexpr std::size_t k_max_total = std::size_t{1} << 18;

struct model {
    std::size_t capacity;
    std::string bytes;            // every byte ever appended, at its absolute offset
    std::vector<stream> sources;  // the stream of each of them

    [[nodiscard]] std::uint64_t end() const { return bytes.size(); }
    [[nodiscard]] std::uint64_t begin() const {
        return bytes.size() - std::min(bytes.size(), capacity);
    }
};

// Mostly tiny capacities, so runs wrap the ring many times; now and then up to 8 KiB.
std::size_t pick_capacity(byte_reader& in) {
    const std::uint8_t b = in.byte();
    if (b < 224) return 1 + b % 32;
    return 1 + static_cast<std::size_t>(in.number(2) % 8192);
}

stream pick_stream(byte_reader& in) {
    switch (in.byte() % 5) {
        case 0:
            return stream::out;
        case 1:
            return stream::err;
        case 2:
            return stream::pty;
        case 3:
            return static_cast<stream>(0);  // what an unchecked C caller could pass
        default:
            return static_cast<stream>(0xff);
    }
}

// Cursors near the places where reads change behaviour: before, at and after what is kept,
// and far past the end (where an addition could overflow).
std::uint64_t pick_offset(byte_reader& in, const model& m) {
    const std::uint8_t mode = in.byte();
    const std::uint64_t delta = in.number(1);
    switch (mode % 8) {
        case 0:
            return delta;
        case 1:
            return m.begin() - std::min(m.begin(), delta);
        case 2:
            return m.begin() + delta;
        case 3:
            return m.end() - std::min(m.end(), delta);
        case 4:
            return m.end() + delta;
        case 5:
            return in.number(8);
        case 6:
            return k_max_u64 - delta;
        default:
            return m.end();
    }
}

std::size_t pick_max_bytes(byte_reader& in) {
    switch (in.byte() % 4) {
        case 0:
            return 0;
        case 1:
            return in.number(1);
        case 2:
            return static_cast<std::size_t>(in.number(2));
        default:
            return k_max_size - static_cast<std::size_t>(in.number(1));
    }
}

void append(output_buffer& buf, model& m, stream source, std::string_view bytes) {
    if (m.bytes.size() + bytes.size() > k_max_total) return;
    buf.append(source, bytes);
    m.bytes.append(bytes);
    m.sources.insert(m.sources.end(), bytes.size(), source);
}

// A run whose every byte differs from its neighbours, so a read from a wrong ring index shows.
std::string generated_run(std::size_t n, std::uint8_t seed) {
    std::string run(n, '\0');
    for (std::size_t i = 0; i < n; ++i) run[i] = static_cast<char>(seed + i);
    return run;
}

// Offsets, and what the buffer says about its storage. The buffer grows on demand and gives
// memory back when a session ends (size(), allocated(), shrink_to_fit()); a template, so the
// checks of members a buffer does not have yet are discarded, not compiled.
template <typename buffer>
void check_bounds(const buffer& buf, const model& m) {
    check(buf.end_offset() == m.end(), "end_offset is not the number of bytes appended");
    check(buf.begin_offset() == m.begin(), "the buffer does not keep exactly the newest bytes");
    check(buf.capacity() == m.capacity, "capacity() is not the bound it was made with");
    if constexpr (requires { buf.size() + buf.allocated(); }) {
        check(buf.size() == m.end() - m.begin(), "size() is not end_offset - begin_offset");
        check(buf.allocated() >= buf.size(), "fewer bytes allocated than held");
        check(buf.allocated() <= m.capacity, "more bytes allocated than the capacity");
    }
}

template <typename buffer>
void maybe_shrink(buffer& buf) {
    if constexpr (requires { buf.shrink_to_fit(); }) {
        buf.shrink_to_fit();
        if constexpr (requires { buf.size() + buf.allocated(); })
            check(buf.allocated() == buf.size(), "shrink_to_fit kept storage not holding bytes");
    }
}

read_result checked_read(const output_buffer& buf, const model& m, std::uint64_t cursor,
                         std::size_t max_bytes) {
    read_result r = buf.read(cursor, max_bytes);
    if (cursor > m.end()) {
        check(r.chunks.empty(), "a cursor past the end read bytes");
        check(r.next_cursor == cursor, "a cursor past the end was not returned unchanged");
        check(r.dropped == 0, "a cursor past the end reported dropped bytes");
        return r;
    }
    const std::uint64_t start = std::max(cursor, m.begin());
    const std::uint64_t n = std::min<std::uint64_t>(m.end() - start, max_bytes);
    check(r.dropped == start - cursor, "dropped is not the gap between cursor and kept bytes");
    check(r.next_cursor == start + n, "next_cursor is not where the returned bytes end");

    std::uint64_t at = start;
    for (const auto& chunk : r.chunks) {
        check(!chunk.bytes.empty(), "an empty chunk");
        check(chunk.bytes.size() <= start + n - at, "chunks run past next_cursor");
        check(m.bytes.compare(at, chunk.bytes.size(), chunk.bytes) == 0,
              "a chunk's bytes differ from what was appended at those offsets");
        for (std::size_t i = 0; i < chunk.bytes.size(); ++i)
            check(m.sources[at + i] == chunk.source, "a chunk holds bytes of another stream");
        at += chunk.bytes.size();
    }
    check(at == start + n, "chunks do not cover [start, next_cursor)");
    check(r.joined() == m.bytes.substr(start, n), "joined() differs from the chunks");
    return r;
}

void checked_copy_range(const output_buffer& buf, const model& m, std::uint64_t from,
                        std::uint64_t to) {
    const std::string got = buf.copy_range(from, to);
    const std::uint64_t lo = std::max(from, m.begin());
    const std::uint64_t hi = std::min(to, m.end());
    if (lo >= hi) {
        check(got.empty(), "copy_range of an empty clamped range returned bytes");
        return;
    }
    check(got == m.bytes.substr(lo, hi - lo), "copy_range differs from the appended bytes");
}

// A client tailing the buffer: each read starts at the last next_cursor, and once it has
// caught up with what is kept, nothing is dropped and nothing is read twice.
void checked_tail(const output_buffer& buf, const model& m, std::uint64_t cursor,
                  std::size_t step) {
    step = std::max<std::size_t>(step, 1);
    for (int reads = 0; cursor < m.end() && reads < 64; ++reads) {
        const read_result r = checked_read(buf, m, cursor, step);
        check(reads == 0 || r.dropped == 0, "a tailing reader lost bytes between two reads");
        check(r.next_cursor > cursor, "a read with bytes left did not advance");
        cursor = r.next_cursor;
    }
}

void run(byte_reader& in) {
    model m{pick_capacity(in), {}, {}};
    output_buffer buf(m.capacity);
    check_bounds(buf, m);

    while (!in.empty()) {
        switch (in.byte() % 8) {
            case 0: {
                const stream source = pick_stream(in);
                append(buf, m, source, in.bytes(in.byte()));
                break;
            }
            case 1: {  // anything up to four times the capacity: the wrap-past-everything path
                const stream source = pick_stream(in);
                const auto n = static_cast<std::size_t>(in.number(2) % (4 * m.capacity + 1));
                append(buf, m, source, generated_run(n, in.byte()));
                break;
            }
            case 2: {  // exactly at the capacity boundary
                const stream source = pick_stream(in);
                const std::size_t n = m.capacity - 1 + in.byte() % 3;
                append(buf, m, source, generated_run(n, in.byte()));
                break;
            }
            case 3: {
                const std::uint64_t cursor = pick_offset(in, m);
                (void)checked_read(buf, m, cursor, pick_max_bytes(in));
                break;
            }
            case 4: {
                const std::uint64_t from = pick_offset(in, m);
                checked_copy_range(buf, m, from, pick_offset(in, m));
                break;
            }
            case 5: {
                const std::uint64_t cursor = pick_offset(in, m);
                checked_tail(buf, m, cursor, pick_max_bytes(in) % 64);
                break;
            }
            case 6:
                maybe_shrink(buf);
                break;
            default:
                (void)checked_read(buf, m, 0, k_max_size);
                break;
        }
        check_bounds(buf, m);
    }
    maybe_shrink(buf);
    check_bounds(buf, m);
    (void)checked_read(buf, m, 0, k_max_size);
}

}  // namespace
}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    berth::fuzz::byte_reader in(std::span<const std::uint8_t>(data, size));
    berth::fuzz::run(in);
    return 0;
}
