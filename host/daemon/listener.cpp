#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon_state.hpp"
#include "rpc_errors.hpp"

namespace berth::daemon {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// After an accept error (EMFILE at the fd limit, ENOBUFS), wait before the next try: an
// immediate retry fails the same way and spins a core. Doubles up to the max.
constexpr auto k_accept_backoff_min = 50ms;
constexpr auto k_accept_backoff_max = 1000ms;

// Accept failed for a reason other than a closed acceptor: log once per episode, back off.
void on_accept_error(daemon_state& d, const boost::system::error_code& ec) {
    d.limits_hit.hit(limit::accept_error);
    if (d.accept_backoff == 0ms) {
        spdlog::warn("cannot accept connections: {} ({} open); retrying with back-off",
                     ec.message(), d.connections.size());
        d.accept_backoff = k_accept_backoff_min;
    } else {
        d.accept_backoff =
            std::min(d.accept_backoff * 2, std::chrono::milliseconds(k_accept_backoff_max));
    }
    d.accept_retry.expires_after(d.accept_backoff);
    d.accept_retry.async_wait([&d](const boost::system::error_code& e) {
        if (!e) accept_next(d);
    });
}

}  // namespace

void accept_next(daemon_state& d) {
    d.acceptor.async_accept([&d](const boost::system::error_code& ec, unix_socket::socket s) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
            on_accept_error(d, ec);
            return;
        }
        if (d.accept_backoff != 0ms) {
            spdlog::info("accepting connections again");
            d.accept_backoff = 0ms;
        }
        auto c = std::make_shared<connection>(std::move(s), d.services);
        d.connections.emplace(c.get(), c);
        if (d.connections.size() > d.config.max_connections) {
            d.limits_hit.hit(limit::max_connections);
            spdlog::warn("refused a connection: {} are open (max_connections)",
                         d.config.max_connections);
            c->refuse(wire::rpc_error::limit_reached, BERTH_ERR_UNAVAILABLE,
                      "limit reached: " + std::to_string(d.config.max_connections) +
                          " connections are open (max_connections); retry later");
        } else {
            c->start();
        }
        accept_next(d);
    });
}

void listen_on(daemon_state& d, const fs::path& path) {
    fs::create_directories(path.parent_path());
    if (fs::exists(path)) {
        unix_socket::socket probe(d.io);
        boost::system::error_code ec;
        probe.connect(unix_socket::endpoint(path.string()), ec);
        if (!ec)
            throw std::runtime_error("another berthd is already listening on " + path.string());
        fs::remove(path);  // stale: nobody answers
    }
    const mode_t old = ::umask(0177);  // never world-accessible, not even for a moment
    boost::system::error_code ec;
    d.acceptor.open(unix_socket(), ec);
    if (!ec) d.acceptor.bind(unix_socket::endpoint(path.string()), ec);
    ::umask(old);
    if (ec) throw std::runtime_error("cannot bind " + path.string() + ": " + ec.message());
    d.acceptor.listen(asio::socket_base::max_listen_connections);
    d.socket_path = path;
    if (d.services.group) {
        if (::chown(path.c_str(), static_cast<uid_t>(-1), *d.services.group) != 0 ||
            ::chmod(path.c_str(), 0660) != 0)
            throw std::runtime_error("cannot give " + path.string() +
                                     " to its group: " + std::strerror(errno));
    }
}

}  // namespace berth::daemon
