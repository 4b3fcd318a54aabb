// Who may talk to berthd: root, the daemon's own user, and members of the socket group.
// Asked of the kernel (SO_PEERCRED), never of the client.
#pragma once

#include <sys/types.h>

#include <optional>

namespace berth::daemon {

[[nodiscard]] bool peer_allowed(int socket_fd, std::optional<gid_t> group);

}  // namespace berth::daemon
