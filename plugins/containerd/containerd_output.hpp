// Reading what ctr prints for the health check. Pure, so it is unit-tested on recorded output.
#pragma once

#include <string>
#include <string_view>

namespace berth::plugins::containerd {

// The server version in `ctr version` output (the "Version:" line of the "Server:" section);
// empty when absent (a failing `ctr version` still prints its client half).
[[nodiscard]] std::string server_version(std::string_view ctr_version_output);
// The client version in the same output; empty when absent.
[[nodiscard]] std::string client_version(std::string_view ctr_version_output);
// The STATUS column ("ok", "skip", "error") of the row whose ID column is `id` in
// `ctr plugins ls` output; empty when there is no such row.
[[nodiscard]] std::string plugin_status(std::string_view plugins_ls_output, std::string_view id);

}  // namespace berth::plugins::containerd
