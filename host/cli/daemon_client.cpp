#include "daemon_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "paths.hpp"
#include "rpc_errors.hpp"

namespace berth::cli {
namespace {
using json = nlohmann::json;
using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

}  // namespace

std::filesystem::path daemon_client::socket_path(const std::string& flag) {
    if (!flag.empty()) return flag;
    if (const char* env = std::getenv("BERTH_SOCKET"); env != nullptr && *env != '\0') return env;
    return wire::default_socket_path();
}

host::result<daemon_client> daemon_client::connect(const std::filesystem::path& socket) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = socket.string();
    if (path.size() >= sizeof addr.sun_path)
        return host::error{BERTH_ERR_INVALID_ARGUMENT, "socket path too long: " + path};
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return host::error{BERTH_ERR_RUNTIME, std::string("socket: ") + std::strerror(errno)};
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        const int e = errno;
        ::close(fd);
        return host::error{
            BERTH_ERR_UNAVAILABLE,
            "no berthd answers at " + path + " (" + std::strerror(e) + "); start one with `berthd" +
                (path == wire::default_socket_path().string() ? "" : " --socket " + path) +
                " &` or point --socket / $BERTH_SOCKET at a running one"};
    }
    return daemon_client(fd);
}

daemon_client::daemon_client(daemon_client&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), next_id_(o.next_id_), buffered_(std::move(o.buffered_)) {}

daemon_client::~daemon_client() {  // after open_stream, the stream owns the fd
    if (fd_ >= 0) ::close(fd_);
}

host::result<json> daemon_client::call(const std::string& method, const json& params,
                                       std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    const std::uint64_t id = next_id_++;
    rpc_code_ = 0;
    const std::string frame =
        json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump(
            -1, ' ', false, json::error_handler_t::replace) +
        "\n";
    for (std::size_t done = 0; done < frame.size();) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) <= 0)
            return host::error{BERTH_ERR_TIMEOUT, "berthd did not take the request within " +
                                                      std::to_string(timeout.count()) + " ms"};
        const ssize_t n = ::send(fd_, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return host::error{BERTH_ERR_UNAVAILABLE,
                               std::string("berthd hung up: ") + std::strerror(errno)};
        }
        done += static_cast<std::size_t>(n);
    }
    while (true) {
        const auto nl = buffered_.find('\n');
        if (nl != std::string::npos) {
            const std::string line = buffered_.substr(0, nl);
            buffered_.erase(0, nl + 1);
            json reply = json::parse(line, nullptr, false);
            if (reply.is_discarded() || !reply.is_object())
                return host::error{BERTH_ERR_INTERNAL, "berthd sent something that is not JSON: " +
                                                           line.substr(0, 200)};
            if (reply.value("id", json()) != json(id) && !reply["id"].is_null())
                continue;  // not ours
            if (auto e = reply.find("error"); e != reply.end()) {
                rpc_code_ = e->is_object() ? e->value("code", 0) : 0;
                return host::error{
                    wire::status_of_error(*e),
                    e->is_object() ? e->value("message", "unknown error") : "unknown error"};
            }
            rpc_code_ = 0;
            return reply.value("result", json());
        }
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0)
            return host::error{BERTH_ERR_TIMEOUT, "berthd did not answer " + method + " within " +
                                                      std::to_string(timeout.count()) + " ms"};
        char buf[65536];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n == 0) return host::error{BERTH_ERR_UNAVAILABLE, "berthd closed the connection"};
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return host::error{BERTH_ERR_UNAVAILABLE,
                               std::string("berthd connection: ") + std::strerror(errno)};
        }
        buffered_.append(buf, static_cast<std::size_t>(n));
    }
}

host::result<stream_client> daemon_client::open_stream(const std::string& id, std::uint64_t cursor,
                                                       bool follow, bool input,
                                                       std::chrono::milliseconds timeout) {
    if (fd_ < 0) return host::error{BERTH_ERR_STATE, "this connection is a stream already"};
    auto r = call("session.stream",
                  {{"id", id}, {"cursor", cursor}, {"follow", follow}, {"input", input}}, timeout);
    if (!r) return r.err();
    const auto& v = r.value();
    // call() keeps what came after the reply's newline: the first frames.
    return stream_client(std::exchange(fd_, -1), std::exchange(buffered_, {}),
                         v.value("cursor", cursor), v.value("end_offset", std::uint64_t{0}));
}

}  // namespace berth::cli
