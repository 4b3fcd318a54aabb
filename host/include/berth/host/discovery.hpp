// Where plugins are looked for, and which files there are candidates.
//
// Order: $BERTH_PLUGIN_PATH (a colon list), the directory beside the running binary
// (<prefix>/lib/berth/plugins for <prefix>/bin/berth: a build tree and an install both work
// with no variables), then the system directories (/usr/local/lib/berth/plugins,
// /usr/lib/<multiarch>/berth/plugins), which $BERTH_PLUGIN_SYSTEM_PATH replaces. Environment
// overrides are ignored in a setuid/setgid process (secure_getenv).
//
// Finding a file here does not make it loadable: the host first checks who could have written
// it and the directories leading to it (plugin_trust.hpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
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

// Where a search directory came from: a plugin found in $BERTH_PLUGIN_PATH that shadows one of
// the built-in directories (beside the binary, the system ones) replaces a shipped runtime, and
// the host says so loudly.
enum class dir_origin {
    plugin_path,    // $BERTH_PLUGIN_PATH
    beside_binary,  // <prefix>/lib/berth/plugins
    system,         // /usr/local/lib/berth/plugins, /usr/lib/<multiarch>/berth/plugins, ...
    system_path,    // $BERTH_PLUGIN_SYSTEM_PATH, in place of the system directories
    other,          // given by the embedder (host_options::plugin_dirs), or unknown
};
// "BERTH_PLUGIN_PATH", "the directory beside the binary", "a system plugin directory", ...
[[nodiscard]] std::string_view describe(dir_origin origin) noexcept;
// True for the directories berth ships its own plugins in: beside the binary and the system
// ones (including $BERTH_PLUGIN_SYSTEM_PATH, which stands in for them).
[[nodiscard]] bool is_builtin(dir_origin origin) noexcept;

struct search_dir {
    std::filesystem::path path;
    dir_origin origin = dir_origin::other;
};
// plugin_search_dirs(), each with where it came from. A directory listed twice keeps its first
// (earliest) origin.
[[nodiscard]] std::vector<search_dir> plugin_search_dirs_tagged(const discovery_inputs& in);

// "/a (BERTH_PLUGIN_PATH), /b (the directory beside the binary), ...": where a search looked,
// for the message that says no plugin was found there.
[[nodiscard]] std::string describe(const std::vector<search_dir>& dirs);

// Candidate files (*.so, regular files or links to them) in dirs, each dir sorted by name,
// dirs in order. Missing dirs are skipped.
[[nodiscard]] std::vector<std::filesystem::path> plugin_candidates(
    const std::vector<std::filesystem::path>& dirs);

// The same, each file with the origin of the directory it was found in.
struct plugin_candidate {
    std::filesystem::path path;
    dir_origin origin = dir_origin::other;
};
[[nodiscard]] std::vector<plugin_candidate> tagged_plugin_candidates(
    const std::vector<search_dir>& dirs);

}  // namespace berth::host
