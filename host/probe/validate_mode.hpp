// berth-plugin-probe --validate: every check `berth plugin validate` reports, run in this
// throwaway process, each streamed as it starts and ends (one JSON object a line) so that the
// host can tell which check was running when the plugin crashed or hung the process.
//
// Lines: {"check":ID,"event":"start"}, then {"check":ID,"event":"pass","detail":...} or
// {"check":ID,"event":"fail","detail":...}. IDs in order: file, load, entry, abi, descriptor,
// functions (the loader's, plugin_library.hpp), create, options_schema, options (only with
// options_json), health, destroy. The first failure ends the run.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace berth::probe {

// Exit statuses: 0 every check passed, 3 one failed (its line says why), 4 a check ran past
// `bound` (its line says which). Never returns to a caller that could run the plugin's
// static destructors or a hung health check's thread into freed code: it ends the process.
[[noreturn]] void run_validate_mode(const std::filesystem::path& plugin,
                                    std::chrono::milliseconds bound,
                                    const std::optional<std::string>& options_json, int out_fd);

}  // namespace berth::probe
