// The two pieces of the systemd protocol berthd speaks, without linking libsystemd:
// socket activation (LISTEN_PID/LISTEN_FDS) and readiness (NOTIFY_SOCKET, READY=1).
#pragma once

#include <string_view>

namespace berth::daemon {

// The first passed listening socket (fd 3) when LISTEN_PID is this process, else -1. The
// variables are unset so children do not inherit them.
[[nodiscard]] int systemd_listen_fd();

// Sends a state string ("READY=1", "STOPPING=1") to $NOTIFY_SOCKET if set. Best effort.
void systemd_notify(std::string_view state);

}  // namespace berth::daemon
