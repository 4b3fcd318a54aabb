#include "server.hpp"

#include <grp.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <map>
#include <thread>

#include "call_runner.hpp"
#include "connection.hpp"
#include "health_monitor.hpp"
#include "rpc_errors.hpp"
#include "rpc_service.hpp"
#include "session_persistence.hpp"
#include "session_reaper.hpp"
#include "systemd.hpp"

namespace berth::daemon {
namespace {
namespace asio = boost::asio;
using unix_socket = asio::local::stream_protocol;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Quick calls (list, get, write, ...) take microseconds to milliseconds; a few threads keep
// one slow plugin call from holding up the rest.
constexpr std::size_t k_quick_threads = 4;
// After an accept error (EMFILE at the fd limit, ENOBUFS), wait before the next try: an
// immediate retry fails the same way and spins a core. Doubles up to the max.
constexpr auto k_accept_backoff_min = 50ms;
constexpr auto k_accept_backoff_max = 1000ms;

// Forgotten sessions free many small blocks; glibc keeps freed pages inside its arenas
// unless asked, so berthd's memory would stay at its peak after a burst of sessions.
void give_memory_back() {
#ifdef __GLIBC__
    (void)::malloc_trim(0);
#endif
}

struct daemon_state {
    daemon_state(host::host& h, const daemon_config& c, state_store& store)
        : host(h),
          config(c),
          calls(k_quick_threads, c.max_blocking_calls),
          rpc(h, c, &limits_hit),
          persistence(h, store),
          services{rpc,
                   calls,
                   connection_limits{c.max_frame_bytes, c.max_connection_requests,
                                     c.max_connection_output_bytes, c.stall_timeout},
                   std::nullopt,
                   limits_hit,
                   [this](const connection* gone) { connections.erase(gone); }} {}

    host::host& host;
    const daemon_config& config;
    asio::io_context io{1};
    // Keeps run() going through shutdown, when the acceptor and timers are gone but the last
    // posted steps (closing connections, removing the socket) have yet to run.
    asio::executor_work_guard<asio::io_context::executor_type> keep_running{io.get_executor()};
    unix_socket::acceptor acceptor{io};
    asio::steady_timer accept_retry{io};
    std::chrono::milliseconds accept_backoff{0};
    asio::signal_set signals{io, SIGTERM, SIGINT, SIGHUP};
    asio::steady_timer tick{io};
    limit_counters limits_hit;  // before services, which refers to it
    call_runner calls;
    rpc_service rpc;
    session_persistence persistence;
    connection_services services;
    std::map<const connection*, std::shared_ptr<connection>> connections;  // I/O thread only
    fs::path socket_path;  // removed at exit when we created it
    std::thread stopper;   // runs shutdown(); joined after the loop ends
};

void accept_next(daemon_state& d);

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
            c->refuse(wire::rpc_error::limit_reached,
                      "limit reached: " + std::to_string(d.config.max_connections) +
                          " connections are open (max_connections); retry later");
        } else {
            c->start();
        }
        accept_next(d);
    });
}

// Creates the socket: parent folder, stale socket check, bind, mode, group.
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

void on_tick(daemon_state& d) {
    d.tick.expires_after(1s);
    d.tick.async_wait([&d](const boost::system::error_code& ec) {
        if (ec) return;
        const auto now = connection::clock::now();
        // Copied: a check may close a connection, which erases it from the map.
        std::vector<std::shared_ptr<connection>> open;
        open.reserve(d.connections.size());
        for (const auto& [key, c] : d.connections) open.push_back(c);
        for (const auto& c : open) c->check(now);
        d.calls.run_quick([&d] {
            if (reap_ended_sessions(d.host, d.config.idle_timeout) > 0) {
                d.persistence.mark_dirty();
                give_memory_back();
            }
            d.persistence.save_if_changed();
        });
        on_tick(d);
    });
}

// Runs on its own thread: closing sessions blocks, and the I/O loop keeps answering meanwhile.
void shutdown(daemon_state& d) {
    spdlog::info("shutting down: closing open sessions");
    systemd_notify("STOPPING=1");
    d.rpc.stop_accepting();
    asio::post(d.io, [&d] {
        boost::system::error_code ignored;
        d.acceptor.close(ignored);
        d.accept_retry.cancel();
        d.signals.cancel(ignored);
        d.tick.cancel();
    });
    // Close every session in parallel, each with its grace period (containers cleaned up).
    std::vector<std::thread> closers;
    for (const auto& r : d.host.registry().sessions().list()) {
        if (auto s = d.host.find_session(r.id))
            closers.emplace_back(
                [s, grace = d.config.close_grace] { (void)s->close(grace, "berthd shut down"); });
    }
    for (auto& t : closers) t.join();
    d.persistence.mark_dirty();
    d.persistence.save_if_changed();
    asio::post(d.io, [&d] {
        // Copied: close() erases each from the map.
        std::vector<std::shared_ptr<connection>> open;
        for (const auto& [key, c] : d.connections) open.push_back(c);
        for (const auto& c : open) c->close();
        if (!d.socket_path.empty()) {
            std::error_code ec;
            fs::remove(d.socket_path, ec);
        }
        d.keep_running.reset();
        d.io.stop();
    });
}

void on_signal(daemon_state& d) {
    d.signals.async_wait([&d](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
            d.calls.run_quick([&d] {
                const auto s = d.host.rescan();
                spdlog::info("SIGHUP: plugins rescanned ({} added, {} removed, {} reloaded)",
                             s.added.size(), s.removed.size(), s.reloaded.size());
            });
            on_signal(d);
            return;
        }
        spdlog::info("{} received", signo == SIGTERM ? "SIGTERM" : "SIGINT");
        if (!d.stopper.joinable()) d.stopper = std::thread([&d] { shutdown(d); });
    });
}

}  // namespace

int run_daemon(host::host& h, const daemon_config& config, state_store& store) {
    daemon_state d{h, config, store};
    if (config.socket_group) {
        const group* g = ::getgrnam(config.socket_group->c_str());
        if (g == nullptr)
            throw std::runtime_error("socket_group '" + *config.socket_group + "' does not exist");
        d.services.group = g->gr_gid;
    }
    d.persistence.restore();
    // Saved before the reply goes out: a session a client was told about is listed (as lost)
    // by the next berthd even if this one dies right after. The tick saves the rest (exits).
    d.rpc.on_change([&d] {
        d.persistence.mark_dirty();
        d.persistence.save_if_changed();
    });

    if (const int fd = systemd_listen_fd(); fd >= 0) {
        d.acceptor.assign(unix_socket(), fd);
        spdlog::info("listening on the socket systemd passed (fd {})", fd);
    } else {
        listen_on(d, config.socket.empty() ? default_socket_path() : config.socket);
        spdlog::info("listening on {}", d.socket_path.string());
    }

    health_monitor monitor(h, config.health_interval, config.health_timeout);
    accept_next(d);
    on_signal(d);
    on_tick(d);
    d.persistence.save_if_changed();
    systemd_notify("READY=1");
    d.io.run();
    if (d.stopper.joinable()) d.stopper.join();
    d.calls.wait_all();
    return 0;
}

}  // namespace berth::daemon
