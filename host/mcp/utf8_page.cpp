#include "utf8_page.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace berth::mcp {
namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(unsigned char byte) { return (byte & 0xC0U) == 0x80U; }

// Length of the sequence `lead` starts; 0 when it cannot start one (a continuation byte, C0/C1
// which could only start overlong forms, or F5..FF which would pass U+10FFFF).
std::size_t sequence_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead < 0xC2) return 0;
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    if (lead < 0xF5) return 4;
    return 0;
}

struct byte_range {
    unsigned char lo;
    unsigned char hi;
};

// RFC 3629's table: these leads narrow their second byte to rule out overlong forms (E0, F0),
// surrogates (ED) and code points past U+10FFFF (F4).
byte_range second_byte_range(unsigned char lead) {
    switch (lead) {
        case 0xE0:
            return {0xA0, 0xBF};
        case 0xED:
            return {0x80, 0x9F};
        case 0xF0:
            return {0x90, 0xBF};
        case 0xF4:
            return {0x80, 0x8F};
        default:
            return {0x80, 0xBF};
    }
}

struct sequence_prefix {
    std::size_t need;  // length the lead byte announces; 0 when it is not a lead
    std::size_t have;  // bytes from the start that fit it (<= need, <= s.size())
};

// s must not be empty.
sequence_prefix valid_prefix(std::string_view s) {
    const auto lead = static_cast<unsigned char>(s[0]);
    const std::size_t need = sequence_length(lead);
    if (need <= 1) return {need, need};
    const std::size_t limit = std::min(need, s.size());
    std::size_t have = 1;
    for (; have < limit; ++have) {
        const auto byte = static_cast<unsigned char>(s[have]);
        const byte_range range = have == 1 ? second_byte_range(lead) : byte_range{0x80, 0xBF};
        if (byte < range.lo || byte > range.hi) break;
    }
    return {need, have};
}

// Index of the first non-ASCII byte at or after i (console output is mostly ASCII).
std::size_t skip_ascii(std::string_view s, std::size_t i) {
    constexpr std::uint64_t k_high_bits = 0x8080808080808080ULL;
    while (i + 8 <= s.size()) {
        std::uint64_t word = 0;
        std::memcpy(&word, s.data() + i, sizeof word);
        if ((word & k_high_bits) != 0) break;
        i += 8;
    }
    while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
    return i;
}

}  // namespace

std::size_t utf8_safe_cut(std::string_view bytes, std::size_t max) noexcept {
    if (max >= bytes.size()) return bytes.size();
    // Only the last lead byte before max can start a sequence that crosses it, and a sequence
    // is at most 4 bytes, so it lies within the 3 bytes before max.
    for (std::size_t back = 1; back <= 3 && back <= max; ++back) {
        const std::size_t p = max - back;
        if (is_continuation(static_cast<unsigned char>(bytes[p]))) continue;
        const sequence_prefix seq = valid_prefix(bytes.substr(p));
        const bool crosses = seq.need > back;
        const bool valid_so_far = seq.have == std::min(seq.need, bytes.size() - p);
        return crosses && valid_so_far ? p : max;
    }
    return max;  // bytes[max] is a stray continuation byte (or there is no lead in reach)
}

std::size_t utf8_incomplete_tail(std::string_view bytes) noexcept {
    for (std::size_t back = 1; back <= 3 && back <= bytes.size(); ++back) {
        const std::size_t p = bytes.size() - back;
        if (is_continuation(static_cast<unsigned char>(bytes[p]))) continue;
        const sequence_prefix seq = valid_prefix(bytes.substr(p));
        return seq.need > back && seq.have == back ? back : 0;
    }
    return 0;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
    std::size_t i = skip_ascii(bytes, 0);
    while (i < bytes.size()) {
        const sequence_prefix seq = valid_prefix(bytes.substr(i));
        if (seq.need == 0 || seq.have != seq.need) return false;
        i = skip_ascii(bytes, i + seq.need);
    }
    return true;
}

std::string to_valid_utf8(std::string_view bytes) {
    if (is_valid_utf8(bytes)) return std::string(bytes);
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 2);
    std::size_t i = 0;
    while (i < bytes.size()) {
        const std::size_t ascii_end = skip_ascii(bytes, i);
        out.append(bytes.substr(i, ascii_end - i));
        i = ascii_end;
        if (i == bytes.size()) break;
        const sequence_prefix seq = valid_prefix(bytes.substr(i));
        if (seq.need != 0 && seq.have == seq.need) {
            out.append(bytes.substr(i, seq.need));
            i += seq.need;
        } else {
            out.append(k_replacement);
            ++i;
        }
    }
    return out;
}

}  // namespace berth::mcp
