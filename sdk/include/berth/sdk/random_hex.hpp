// Random lowercase hex digits, for names nobody else picked: container names, session tokens,
// owner tokens. Not for secrets: std::random_device is good enough for uniqueness here.
#pragma once

#include <cstddef>
#include <random>
#include <string>

namespace berth::sdk {

[[nodiscard]] inline std::string random_hex(std::size_t digits) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::random_device random;
    std::uniform_int_distribution<int> digit(0, 15);
    std::string out(digits, '0');
    for (char& c : out) c = k_hex[digit(random)];
    return out;
}

}  // namespace berth::sdk
