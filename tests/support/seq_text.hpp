// What `seq 1 N` prints, produced piece by piece, so that a test can check a gigabyte of a
// session's output against it without holding either in memory. The current line is counted
// up in place (no allocation per line), so the check stays cheap under the sanitizers.
#pragma once

#include <cstdint>
#include <cstring>
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
            if (i_ > last_) return false;
            const std::size_t n = std::min(bytes.size(), line_.size() - at_);
            if (std::memcmp(bytes.data(), line_.data() + at_, n) != 0) return false;
            at_ += n;
            bytes.remove_prefix(n);
            if (at_ == line_.size()) next_line();
        }
        return true;
    }
    // The whole text was matched.
    [[nodiscard]] bool done() const { return i_ > last_; }

private:
    void next_line() {
        at_ = 0;
        ++i_;
        // Decimal increment of the digits before the newline.
        std::size_t k = line_.size() - 1;
        while (k > 0 && line_[k - 1] == '9') line_[--k] = '0';
        if (k == 0) {
            line_.insert(line_.begin(), '1');
        } else {
            ++line_[k - 1];
        }
    }

    std::uint64_t i_ = 1;  // the number line_ holds
    std::uint64_t last_;
    std::string line_ = "1\n";
    std::size_t at_ = 0;  // bytes of line_ already matched
};

}  // namespace berth::test
