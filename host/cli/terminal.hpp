// The user's terminal during `berth run -t`: raw mode while the session runs, its size.
#pragma once

#include <termios.h>

#include <cstdint>
#include <optional>
#include <utility>

namespace berth::cli {

// Puts fd in raw mode; restores the saved settings on destruction.
class raw_mode {
public:
    explicit raw_mode(int fd);
    ~raw_mode();
    raw_mode(const raw_mode&) = delete;
    raw_mode& operator=(const raw_mode&) = delete;
    [[nodiscard]] bool active() const noexcept { return active_; }
    // Puts the saved settings back now (before printing our own messages); idempotent.
    void restore();

private:
    int fd_;
    bool active_ = false;
    termios saved_{};
};

// Rows and columns of the terminal on fd, if it is one.
[[nodiscard]] std::optional<std::pair<std::uint16_t, std::uint16_t>> terminal_size(int fd);

// Writes all of data to fd, retrying on EINTR/EAGAIN. False when fd is gone (EPIPE).
bool write_all(int fd, const char* data, std::size_t size);

}  // namespace berth::cli
