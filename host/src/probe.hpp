// Loading a plugin first in a throwaway process (berth-plugin-probe), so that a plugin which
// crashes or hangs while it loads cannot take the host down with it.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace berth::host {

// berth-plugin-probe next to the running executable's plugin directory
// (<exe>/../lib/berth/berth-plugin-probe), or nullopt when there is none.
[[nodiscard]] std::optional<std::filesystem::path> find_probe(
    const std::filesystem::path& executable);

// "signal 6, SIGABRT": how the probe died, for a report.
[[nodiscard]] std::string signal_text(int signo);

// Runs the probe on `plugin`. "" when the plugin loaded and created there; otherwise the
// reason to reject it with: the plugin's own load error, or how the probe died.
[[nodiscard]] std::string probe_plugin(const std::filesystem::path& probe,
                                       const std::filesystem::path& plugin,
                                       std::chrono::milliseconds timeout);

}  // namespace berth::host
