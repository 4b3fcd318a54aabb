#include "output_pipe.hpp"

#include <fcntl.h>

#include <atomic>
#include <utility>

namespace berth::sdk {

namespace {
std::atomic<int> g_enlarged{0};
}  // namespace

output_pipe_grant output_pipe_grant::enlarge(int fd) {
    output_pipe_grant g;
    if (const int now = ::fcntl(fd, F_GETPIPE_SZ); now > 0) g.size_ = static_cast<std::size_t>(now);
    // Take a share first, so two threads cannot both pass the bound.
    if (g_enlarged.fetch_add(1) >= k_max_enlarged) {
        g_enlarged.fetch_sub(1);
        return g;
    }
    const int got = ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(k_bytes));
    if (got <= 0) {  // over the user's limits, or not a pipe: the default size stays
        g_enlarged.fetch_sub(1);
        return g;
    }
    g.held_ = true;
    g.size_ = static_cast<std::size_t>(got);
    return g;
}

output_pipe_grant::~output_pipe_grant() {
    if (held_) g_enlarged.fetch_sub(1);
}

output_pipe_grant::output_pipe_grant(output_pipe_grant&& other) noexcept
    : held_(std::exchange(other.held_, false)), size_(other.size_) {}

output_pipe_grant& output_pipe_grant::operator=(output_pipe_grant&& other) noexcept {
    if (this != &other) {
        if (held_) g_enlarged.fetch_sub(1);
        held_ = std::exchange(other.held_, false);
        size_ = other.size_;
    }
    return *this;
}

int output_pipe_grant::enlarged_now() noexcept { return g_enlarged.load(); }

}  // namespace berth::sdk
