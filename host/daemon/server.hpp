// berthd's process: the Unix socket, its connections (newline-delimited JSON-RPC frames),
// signals (SIGTERM: orderly shutdown; SIGHUP: rescan plugins), persistence and reaping of
// ended sessions. One Asio I/O thread; requests run on a worker pool, long polls on their
// own threads, so no call can stall the others.
#pragma once

#include <berth/host/host.hpp>

#include "daemon_config.hpp"
#include "state_store.hpp"

namespace berth::daemon {

// Runs until SIGTERM/SIGINT; returns the process exit status. Throws std::runtime_error
// with a message naming the problem when the socket cannot be set up. `store` is the state
// directory the host's owner token came from; sessions from its last run are listed as lost.
int run_daemon(host::host& h, const daemon_config& config, state_store& store);

}  // namespace berth::daemon
