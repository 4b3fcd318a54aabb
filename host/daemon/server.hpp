// berthd's process: the Unix socket and its accept loop (max_connections, back-off on
// errors), signals (SIGTERM: orderly shutdown; SIGHUP: rescan plugins) and the once-a-second
// tick (stalled connections, reaping, persistence, the idle exit). One Asio I/O thread; each
// connection is in connection.hpp, requests run on the call_runner.
#pragma once

#include <berth/host/host.hpp>

#include <functional>

#include "daemon_config.hpp"
#include "state_store.hpp"

namespace berth::daemon {

// Runs until SIGTERM/SIGINT (or exit_when_idle_s); returns the process exit status. Throws
// std::runtime_error with a message naming the problem when the socket cannot be set up.
// `store` is the state directory the host's owner token came from; sessions from its last run
// are listed as lost. `on_ready` runs once the socket takes connections (--ready-fd).
int run_daemon(host::host& h, const daemon_config& config, state_store& store,
               const std::function<void()>& on_ready = {});

}  // namespace berth::daemon
