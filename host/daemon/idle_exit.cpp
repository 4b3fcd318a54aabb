#include "idle_exit.hpp"

#include <spdlog/spdlog.h>

#include "daemon_state.hpp"

namespace berth::daemon {
namespace {

bool has_open_session(const host::host& h) {
    for (const auto& s : h.sessions())
        if (!registry::is_final(s->entry()->state())) return true;
    return false;
}

}  // namespace

void note_last_client_left(daemon_state& d) {
    if (d.config.exit_when_idle.count() > 0) d.idle_since = std::chrono::steady_clock::now();
}

bool idle_period_over(daemon_state& d, std::chrono::steady_clock::time_point now) {
    if (d.config.exit_when_idle.count() == 0) return false;
    if (!d.connections.empty() || has_open_session(d.host)) {
        d.idle_since.reset();
        return false;
    }
    if (!d.idle_since) d.idle_since = now;
    if (now - *d.idle_since < d.config.exit_when_idle) return false;
    spdlog::info("no open sessions and no clients for {} s; exiting (exit_when_idle_s)",
                 d.config.exit_when_idle.count());
    return true;
}

}  // namespace berth::daemon
