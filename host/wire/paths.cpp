#include "paths.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace berth::wire {

std::filesystem::path default_socket_path() {
    if (::geteuid() == 0) return "/run/berth/berthd.sock";
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0')
        return std::filesystem::path(xdg) / "berth" / "berthd.sock";
    return std::filesystem::path("/tmp") / ("berth-" + std::to_string(::geteuid())) / "berthd.sock";
}

std::filesystem::path default_state_dir() {
    if (::geteuid() == 0) return "/var/lib/berth/berthd";
    if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg != '\0')
        return std::filesystem::path(xdg) / "berth";
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
        return std::filesystem::path(home) / ".local" / "state" / "berth";
    return std::filesystem::path("/tmp") / ("berth-" + std::to_string(::geteuid())) / "state";
}

}  // namespace berth::wire
