#include "base64.hpp"

#include <array>
#include <cstdint>

namespace berth::wire {
namespace {
constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse() {
    std::array<std::int8_t, 256> r{};
    for (auto& v : r) v = -1;
    for (std::size_t i = 0; i < k_alphabet.size(); ++i)
        r[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::int8_t>(i);
    return r;
}
constexpr auto k_reverse = make_reverse();
}  // namespace

std::string base64_encode(std::string_view bytes) {
    // Written by index into a string sized once: appending char by char cost a megabyte page
    // of `berth mcp` milliseconds.
    std::string out((bytes.size() + 2) / 3 * 4, '=');
    char* o = out.data();
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3, o += 4) {
        const std::uint32_t n =
            (std::uint32_t{in[i]} << 16U) | (std::uint32_t{in[i + 1]} << 8U) | in[i + 2];
        o[0] = k_alphabet[(n >> 18U) & 63U];
        o[1] = k_alphabet[(n >> 12U) & 63U];
        o[2] = k_alphabet[(n >> 6U) & 63U];
        o[3] = k_alphabet[n & 63U];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = std::uint32_t{in[i]} << 16U;
        if (rest == 2) n |= std::uint32_t{in[i + 1]} << 8U;
        o[0] = k_alphabet[(n >> 18U) & 63U];
        o[1] = k_alphabet[(n >> 12U) & 63U];
        if (rest == 2) o[2] = k_alphabet[(n >> 6U) & 63U];
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::uint32_t n = 0;
        int pad = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const char c = text[i + k];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                ++pad;
                n <<= 6U;
                continue;
            }
            if (pad > 0) return std::nullopt;  // data after padding
            const std::int8_t v = k_reverse[static_cast<unsigned char>(c)];
            if (v < 0) return std::nullopt;
            n = (n << 6U) | static_cast<std::uint32_t>(v);
        }
        out += static_cast<char>((n >> 16U) & 0xffU);
        if (pad < 2) out += static_cast<char>((n >> 8U) & 0xffU);
        if (pad < 1) out += static_cast<char>(n & 0xffU);
    }
    return out;
}

}  // namespace berth::wire
