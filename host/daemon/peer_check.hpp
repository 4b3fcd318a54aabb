// Who is at the other end of a socket. Who may talk to berthd: root, the daemon's own user, and
// members of the socket group. Asked of the kernel (SO_PEERCRED), never of the client.
#pragma once

#include <sys/types.h>

#include <optional>

namespace berth::daemon {

[[nodiscard]] bool peer_allowed(int socket_fd, std::optional<gid_t> group);

// A read of 0 bytes means the peer shut down its sending side; it may still read our
// replies (`printf REQ | socat - UNIX:...` does exactly that). Only when both sides are shut
// (close, or the process died) does the kernel raise POLLHUP on a Unix stream socket.
[[nodiscard]] bool peer_hung_up(int socket_fd);

}  // namespace berth::daemon
