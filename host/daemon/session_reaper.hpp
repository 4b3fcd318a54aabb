// Forgets sessions that ended more than idle_timeout ago: their record, output and the host's
// session object go. Run from berthd's tick.
#pragma once

#include <berth/host/host.hpp>

#include <chrono>
#include <cstddef>

namespace berth::daemon {

// Returns how many sessions were forgotten.
std::size_t reap_ended_sessions(host::host& h, std::chrono::seconds idle_timeout);

}  // namespace berth::daemon
