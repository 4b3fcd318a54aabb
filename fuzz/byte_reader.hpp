// Reads a fuzz input as a stream of choices. Past the end every read returns zeros or nothing,
// so a target never has to check how much is left before it asks (libFuzzer's
// FuzzedDataProvider is not used: it ships with clang only, and the corpus replay test is
// built by the normal compiler).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace berth::fuzz {

class byte_reader {
public:
    explicit byte_reader(std::span<const std::uint8_t> data) : data_(data) {}

    [[nodiscard]] bool empty() const noexcept { return pos_ >= data_.size(); }

    [[nodiscard]] std::uint8_t byte() noexcept { return empty() ? 0 : data_[pos_++]; }

    // Little-endian, from up to `width` bytes (1..8).
    [[nodiscard]] std::uint64_t number(std::size_t width) noexcept {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < width; ++i) value |= std::uint64_t{byte()} << (8 * i);
        return value;
    }

    // Up to n bytes: fewer when the input ends first.
    [[nodiscard]] std::string_view bytes(std::size_t n) noexcept {
        const std::size_t take = std::min(n, data_.size() - std::min(pos_, data_.size()));
        const std::string_view out(reinterpret_cast<const char*>(data_.data()) + pos_, take);
        pos_ += take;
        return out;
    }

private:
    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
};

}  // namespace berth::fuzz
