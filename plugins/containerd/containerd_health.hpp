// The containerd health check: is ctr installed, does the daemon answer on its socket within
// the connect timeout, and is the snapshotter sessions will use loaded.
#pragma once

#include <berth/sdk/plugin.hpp>

#include "containerd_cleanup.hpp"
#include "containerd_options.hpp"

namespace berth::plugins::containerd {

// Blocks for at most a few seconds past the connect timeout per ctr call (two calls). When
// the daemon answers, also retries removing the leftovers of sessions on that socket.
[[nodiscard]] sdk::health_report check_health(const environment_defaults& defaults,
                                              leftover_list& leftovers);

}  // namespace berth::plugins::containerd
