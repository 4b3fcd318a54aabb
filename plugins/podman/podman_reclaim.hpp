// Removing the containers an earlier life of the host left behind (ABI 1.1 reclaim_owned):
// every container, running or not, labelled BERTH_OWNER_LABEL=owner.
#pragma once

#include <cstdint>
#include <string>

#include "podman_options.hpp"

namespace berth::plugins::podman {

// Lists and force-removes them through the podman of `options` (binary, url, connection),
// adding each removed one to `removed`. Without a podman binary there is nothing to do. Throws
// sdk::error naming the containers and the command to remove them by hand when podman cannot
// list or remove them.
void reclaim_owned(const podman_options& options, const std::string& owner, std::uint32_t& removed);

}  // namespace berth::plugins::podman
