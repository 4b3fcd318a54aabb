#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <thread>
#include <vector>

#include "daemon_state.hpp"
#include "systemd.hpp"

namespace berth::daemon {
namespace fs = std::filesystem;

// On its own thread: closing sessions blocks, and the I/O loop keeps answering meanwhile.
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
    for (const auto& s : d.host.sessions()) {
        if (s->released()) continue;  // nothing of it left to end
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

void begin_shutdown(daemon_state& d) {
    if (!d.stopper.joinable()) d.stopper = std::thread([&d] { shutdown(d); });
}

}  // namespace berth::daemon
