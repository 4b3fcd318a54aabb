#include "server.hpp"

#include <grp.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "daemon_state.hpp"
#include "early_hangup.hpp"
#include "health_monitor.hpp"
#include "session_reaper.hpp"
#include "systemd.hpp"

namespace berth::daemon {
namespace {
using namespace std::chrono_literals;

// Forgotten sessions free many small blocks; glibc keeps freed pages inside its arenas
// unless asked, so berthd's memory would stay at its peak after a burst of sessions.
void give_memory_back() {
#ifdef __GLIBC__
    (void)::malloc_trim(0);
#endif
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
        if (idle_period_over(d, std::chrono::steady_clock::now())) {
            begin_shutdown(d);
            return;  // the shutdown cancels the tick
        }
        d.calls.run_quick([&d] {
            // An ended session keeps its record and output; its plugin-side objects (threads,
            // pipes, the plugin's handle) go now, not when the record is forgotten.
            (void)d.host.release_ended_sessions();
            if (reap_ended_sessions(d.host, d.config.idle_timeout) > 0) {
                d.persistence.mark_dirty();
                give_memory_back();
            }
            d.persistence.save_if_changed();
        });
        on_tick(d);
    });
}

void rescan_plugins(daemon_state& d) {
    d.calls.run_quick([&d] {
        const auto s = d.host.rescan();
        spdlog::info("SIGHUP: plugins rescanned ({} added, {} removed, {} reloaded)",
                     s.added.size(), s.removed.size(), s.reloaded.size());
    });
}

void on_signal(daemon_state& d) {
    d.signals.async_wait([&d](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
            rescan_plugins(d);
            on_signal(d);
            return;
        }
        spdlog::info("{} received", signo == SIGTERM ? "SIGTERM" : "SIGINT");
        begin_shutdown(d);
    });
}

}  // namespace

int run_daemon(host::host& h, const daemon_config& config, state_store& store,
               const std::function<void()>& on_ready) {
    daemon_state d{h, config, store};
    if (config.socket_group) {
        const group* g = ::getgrnam(config.socket_group->c_str());
        if (g == nullptr)
            throw std::runtime_error("socket_group '" + *config.socket_group + "' does not exist");
        d.services.group = g->gr_gid;
    }
    d.rpc.report_calls_of(&d.calls);
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
    // A SIGHUP while the plugins were being loaded: the scan may have missed what it announced.
    if (take_noted_hangup()) rescan_plugins(d);
    on_tick(d);
    d.persistence.save_if_changed();
    systemd_notify("READY=1");
    if (on_ready) on_ready();
    d.idle_since = std::chrono::steady_clock::now();  // no client and no open session yet
    d.io.run();
    if (d.stopper.joinable()) d.stopper.join();
    d.calls.wait_all();
    return 0;
}

}  // namespace berth::daemon
