#include "start_fds.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace berth::daemon {

void fill_closed_stdio() noexcept {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        // open() takes the lowest free number: this one, as the lower ones are open by now.
        const int opened = ::open("/dev/null", O_RDWR);
        if (opened >= 0 && opened != fd) ::close(opened);
    }
}

host::result<int> take_ready_fd(int fd) {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags == -1)
        return host::error{BERTH_ERR_INVALID_ARGUMENT,
                           "--ready-fd " + std::to_string(fd) + ": not an open file descriptor"};
    (void)::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    return fd;
}

void signal_ready(int fd) noexcept {
    constexpr char k_ready[] = "READY\n";
    ssize_t n = -1;
    do {
        n = ::write(fd, k_ready, sizeof k_ready - 1);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof k_ready - 1))
        spdlog::warn("--ready-fd {}: could not write READY: {}", fd,
                     n < 0 ? std::strerror(errno) : "short write");
    ::close(fd);
}

}  // namespace berth::daemon
