// Where berthd listens and keeps its state by default; shared by the daemon and its clients.
#pragma once

#include <filesystem>

namespace berth::wire {

// /run/berth/berthd.sock for root, $XDG_RUNTIME_DIR/berth/berthd.sock otherwise (falling
// back to /tmp/berth-<uid>/berthd.sock without XDG_RUNTIME_DIR).
[[nodiscard]] std::filesystem::path default_socket_path();
// /var/lib/berth/berthd for root, $XDG_STATE_HOME/berth (or ~/.local/state/berth) otherwise.
[[nodiscard]] std::filesystem::path default_state_dir();

}  // namespace berth::wire
