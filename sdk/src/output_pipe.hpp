// Private: a child's stdout pipe a little larger than the kernel's default, within a bound.
//
// With 256 KiB instead of 64 KiB the child writes longer before it blocks and the session
// reads bigger chunks, with fewer wake-ups per byte: `berth run local -- head -c 1G` went from
// about 0.86 to about 0.95 of a raw pipe's throughput (issue 12; 1 MiB was slower again: the
// pipe no longer fits the cache). A bigger pipe counts against its user's pipe budget
// (fs.pipe-user-pages-soft, 64 MiB by default, past which every new pipe of that user gets two
// pages), so at most k_max_enlarged pipes of this process are enlarged at once; the others
// keep the default size, which only costs speed.
#pragma once

#include <cstddef>

namespace berth::sdk {

class output_pipe_grant {
public:
    static constexpr std::size_t k_bytes = std::size_t{256} << 10;
    static constexpr int k_max_enlarged = 16;  // 4 MiB of the user's pipe budget at most

    output_pipe_grant() = default;
    // Enlarges the pipe of `fd` to k_bytes when the budget allows and the kernel agrees;
    // either way the result says how big the pipe is now (size()).
    [[nodiscard]] static output_pipe_grant enlarge(int fd);

    ~output_pipe_grant();  // gives the share back (the pipe itself is closed elsewhere)
    output_pipe_grant(output_pipe_grant&& other) noexcept;
    output_pipe_grant& operator=(output_pipe_grant&& other) noexcept;
    output_pipe_grant(const output_pipe_grant&) = delete;
    output_pipe_grant& operator=(const output_pipe_grant&) = delete;

    // Bytes the pipe holds (what a read may return at most); the default 64 KiB when unknown.
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool enlarged() const noexcept { return held_; }
    // Pipes of this process enlarged now (for tests).
    [[nodiscard]] static int enlarged_now() noexcept;

private:
    bool held_ = false;
    std::size_t size_ = std::size_t{64} << 10;
};

}  // namespace berth::sdk
