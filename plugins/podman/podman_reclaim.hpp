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

// Force-removes one container now (no stop timeout). Empty when it went (or was gone), else
// podman's words for why not.
[[nodiscard]] std::string remove_container(const podman_options& options, const std::string& name);

// Force-removes the container a run-mode session created, found by its token label (none when
// podman never created it, e.g. because the name was taken). Empty when nothing of it is left,
// else why not.
[[nodiscard]] std::string remove_session_container(const podman_options& options,
                                                   const std::string& token);

}  // namespace berth::plugins::podman
