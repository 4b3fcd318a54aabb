// The file descriptors berthd is started with, when a client starts it on demand (setsid,
// stdio on /dev/null or closed, a pipe to learn when it is ready).
#pragma once

#include <berth/host/result.hpp>

namespace berth::daemon {

// Opens /dev/null on whichever of fds 0, 1, 2 is closed. Call first: otherwise the socket or a
// log file could become fd 2, and a log line (or a child's stderr) would land in it.
void fill_closed_stdio() noexcept;

// --ready-fd: checks that fd is open and marks it close-on-exec, so no session or plugin child
// holds the pipe open (the starter would then see no EOF when berthd fails).
[[nodiscard]] host::result<int> take_ready_fd(int fd);

// Writes "READY\n" to fd and closes it. A starter that left is logged, not fatal.
void signal_ready(int fd) noexcept;

}  // namespace berth::daemon
