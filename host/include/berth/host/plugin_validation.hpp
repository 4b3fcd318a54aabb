// `berth plugin validate`: every check a plugin file must pass to be loaded and used, run in
// berth-plugin-probe so that a plugin that crashes or hangs is reported as doing so, at the
// check it did it in, instead of taking the caller down.
#pragma once

#include <berth/plugin.h>
#include <berth/host/result.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace berth::host {

struct validation_check {
    enum class verdict { pass, fail, skip };
    // file, load, entry, abi, descriptor, functions, create, options_schema, options (only
    // when options were given), health, destroy: stable, for scripts.
    std::string id;
    verdict result = verdict::skip;
    // pass: what was found; fail: why, for the plugin's author; skip: why it did not run.
    std::string detail;
    // health, when it passed: healthy, unhealthy or undetected.
    std::optional<std::string> health_state;
};

[[nodiscard]] std::string_view to_string(validation_check::verdict v) noexcept;  // PASS...

struct validation_request {
    std::filesystem::path plugin;
    // Session options the plugin's schema must accept (a JSON object), if any.
    std::optional<std::string> options_json;
    // Bound for each step that runs the plugin's code: loading, create(), the health check,
    // destroy().
    std::chrono::milliseconds timeout{BERTH_HEALTH_BOUND_MS};
};

// Every check, in order; after the first failure the rest are skipped. An error (not a
// failed check) when berth-plugin-probe cannot be found next to this executable or run.
[[nodiscard]] result<std::vector<validation_check>> validate_plugin(
    const validation_request& request);

}  // namespace berth::host
