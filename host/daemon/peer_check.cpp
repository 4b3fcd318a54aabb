#include "peer_check.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace berth::daemon {

bool peer_hung_up(int socket_fd) {
    pollfd p{socket_fd, POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

bool peer_allowed(int socket_fd, std::optional<gid_t> group) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
    if (cred.uid == 0 || cred.uid == ::geteuid()) return true;
    if (!group) return false;
    if (cred.gid == *group) return true;
    // Supplementary groups are not in SO_PEERCRED; the peer's /proc entry has them.
    std::ifstream status("/proc/" + std::to_string(cred.pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("Groups:", 0) != 0) continue;
        std::istringstream ids(line.substr(7));
        for (gid_t g; ids >> g;)
            if (g == *group) return true;
    }
    return false;
}

}  // namespace berth::daemon
