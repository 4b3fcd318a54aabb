// What `seq 1 N` prints, produced piece by piece, so that a test can check a gigabyte of a
// session's output against it without holding either in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::test {

class seq_text {
public:
    explicit seq_text(std::uint64_t last) : last_(last) {}

    // Checks that `bytes` are the next bytes of the text; false at the first difference (and
    // for bytes past its end).
    bool matches_next(std::string_view bytes) {
        while (!bytes.empty()) {
            if (pending_.empty()) {
                if (i_ > last_) return false;
                pending_ = std::to_string(i_++) + '\n';
            }
            const std::size_t n = std::min(bytes.size(), pending_.size());
            if (bytes.substr(0, n) != std::string_view(pending_).substr(0, n)) return false;
            pending_.erase(0, n);
            bytes.remove_prefix(n);
        }
        return true;
    }
    // The whole text was matched.
    [[nodiscard]] bool done() const { return i_ > last_ && pending_.empty(); }

private:
    std::uint64_t i_ = 1;
    std::uint64_t last_;
    std::string pending_;  // the rest of the current line
};

}  // namespace berth::test
