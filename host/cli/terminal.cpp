#include "terminal.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace berth::cli {

raw_mode::raw_mode(int fd) : fd_(fd) {
    if (::isatty(fd) == 0 || ::tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd, TCSADRAIN, &raw) == 0;
}

raw_mode::~raw_mode() { restore(); }

void raw_mode::restore() {
    if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
    active_ = false;
}

std::optional<std::pair<std::uint16_t, std::uint16_t>> terminal_size(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return std::nullopt;
    return std::make_pair(ws.ws_row, ws.ws_col);
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n > 0) {
            data += n;
            size -= static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {  // a non-blocking stdout: wait until it drains
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        return false;
    }
    return true;
}

}  // namespace berth::cli
