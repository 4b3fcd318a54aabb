// Where plugins are looked for, and which files there are candidates.
//
// Order: $BERTH_PLUGIN_PATH (a colon list), the directory beside the running binary
// (<prefix>/lib/berth/plugins for <prefix>/bin/berth: a build tree and an install both work
// with no variables), then the system directories (/usr/local/lib/berth/plugins,
// /usr/lib/<multiarch>/berth/plugins), which $BERTH_PLUGIN_SYSTEM_PATH replaces. Environment
// overrides are ignored in a setuid/setgid process (secure_getenv).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace berth::host {

struct discovery_inputs {
    std::optional<std::string> plugin_path;         // $BERTH_PLUGIN_PATH
    std::optional<std::string> system_plugin_path;  // $BERTH_PLUGIN_SYSTEM_PATH
    std::filesystem::path executable;               // /proc/self/exe
};

// The inputs of this process: environment (via secure_getenv) and its executable.
[[nodiscard]] discovery_inputs current_discovery_inputs();

// The directories to scan, in order, without duplicates (compared by canonical path).
[[nodiscard]] std::vector<std::filesystem::path> plugin_search_dirs(const discovery_inputs& in);

// Candidate files (*.so, regular files or links to them) in dirs, each dir sorted by name,
// dirs in order. Missing dirs are skipped.
[[nodiscard]] std::vector<std::filesystem::path> plugin_candidates(
    const std::vector<std::filesystem::path>& dirs);

}  // namespace berth::host
