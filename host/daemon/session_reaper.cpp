#include "session_reaper.hpp"

#include <spdlog/spdlog.h>

namespace berth::daemon {

std::size_t reap_ended_sessions(host::host& h, std::chrono::seconds idle_timeout) {
    const auto now = registry::clock::now();
    std::size_t reaped = 0;
    for (const auto& r : h.session_records()) {
        if (!registry::is_final(r.state)) continue;
        const auto since = r.ended.value_or(r.created);
        if (now - since < idle_timeout) continue;
        h.forget_session(r.id);
        ++reaped;
        spdlog::debug("reaped session {} ({} for {} s)", r.id, registry::to_string(r.state),
                      std::chrono::duration_cast<std::chrono::seconds>(now - since).count());
    }
    return reaped;
}

}  // namespace berth::daemon
