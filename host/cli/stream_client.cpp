#include "stream_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace berth::cli {
namespace {
using clock = std::chrono::steady_clock;

// One recv: big enough that a 1 MiB DATA frame takes a few calls, small enough for the stack
// of no one (it is on the heap).
constexpr std::size_t k_read_bytes = 256 * 1024;

int remaining_ms(clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

}  // namespace

stream_client::stream_client(int fd, std::string already_read, std::uint64_t cursor,
                             std::uint64_t end)
    : fd_(fd), cursor_(cursor), end_offset_(end) {
    (void)parser_.feed(already_read);  // a malformed start shows at the first next()
}

stream_client::stream_client(stream_client&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      parser_(std::move(o.parser_)),
      buf_(std::move(o.buf_)),
      cursor_(o.cursor_),
      end_offset_(o.end_offset_),
      closed_(o.closed_) {}

stream_client::~stream_client() {
    if (fd_ >= 0) ::close(fd_);
}

host::result<wire::stream_frame> stream_client::next(std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    auto& buf = buf_;
    while (true) {
        if (auto f = parser_.next()) return std::move(*f);
        if (parser_.failed())
            return host::error{BERTH_ERR_INTERNAL,
                               "berthd sent a malformed stream frame: " + parser_.error()};
        if (closed_)
            return host::error{BERTH_ERR_UNAVAILABLE,
                               parser_.mid_frame()
                                   ? "berthd closed the connection in the middle of a frame"
                                   : "berthd closed the connection"};
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0)
            return host::error{BERTH_ERR_UNAVAILABLE,
                               std::string("berthd connection: ") + std::strerror(errno)};
        if (ready == 0)
            return host::error{BERTH_ERR_TIMEOUT, "berthd sent nothing within " +
                                                      std::to_string(timeout.count()) + " ms"};
        if (buf.empty()) buf.resize(k_read_bytes);
        const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0 && errno != ECONNRESET)
            return host::error{BERTH_ERR_UNAVAILABLE,
                               std::string("berthd connection: ") + std::strerror(errno)};
        if (n <= 0) {
            closed_ = true;
            continue;
        }
        (void)parser_.feed({buf.data(), static_cast<std::size_t>(n)});
    }
}

host::result<void> stream_client::send_frame(std::string_view frame,
                                             std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    while (!frame.empty()) {
        pollfd p{fd_, POLLOUT, 0};
        const int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0)
            return host::error{BERTH_ERR_TIMEOUT, "berthd took no input within " +
                                                      std::to_string(timeout.count()) + " ms"};
        const ssize_t n = ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return host::error{BERTH_ERR_UNAVAILABLE,
                               std::string("berthd hung up: ") + std::strerror(errno)};
        }
        frame.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

host::result<void> stream_client::send_input(std::string_view bytes,
                                             std::chrono::milliseconds timeout) {
    while (!bytes.empty()) {
        const auto piece = bytes.substr(0, wire::k_max_frame_payload);
        if (auto r = send_frame(wire::input_frame(piece), timeout); !r) return r;
        bytes.remove_prefix(piece.size());
    }
    return {};
}

host::result<void> stream_client::close_input(std::chrono::milliseconds timeout) {
    return send_frame(wire::close_input_frame(), timeout);
}

host::result<void> stream_client::resize(std::uint16_t rows, std::uint16_t cols,
                                         std::chrono::milliseconds timeout) {
    return send_frame(wire::resize_frame(rows, cols), timeout);
}

host::result<void> stream_client::signal(int signo, std::chrono::milliseconds timeout) {
    return send_frame(wire::signal_frame(static_cast<std::uint32_t>(signo)), timeout);
}

void stream_client::shutdown() noexcept {
    if (fd_ >= 0) (void)::shutdown(fd_, SHUT_RDWR);
}

}  // namespace berth::cli
