// What an agent may do through berth mcp, fixed by whoever starts it (--policy FILE): the
// tools cannot read or change it. Every refusal names the rule that refused.
#pragma once

#include <berth/host/result.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace berth::mcp {

struct policy {
    // Glob lists (fnmatch); an absent list allows everything.
    std::optional<std::vector<std::string>> runtimes;
    std::optional<std::vector<std::string>> images;  // also LXC templates
    std::optional<std::vector<std::string>> containers;
    // Plugin option names console_create_session may set through `options`; nullopt: any (no
    // policy file). A policy file without this key allows none.
    std::optional<std::vector<std::string>> options;
    bool read_only = false;                               // list, read and wait only
    std::optional<std::size_t> max_sessions;              // open sessions in berthd at create time
    std::size_t max_input_bytes = std::size_t{1} << 20;   // one send / key / command
    std::size_t max_output_bytes = std::size_t{1} << 20;  // one page

    // nullopt: allowed; otherwise the refusal, e.g. "policy: runtime 'podman' is not in
    // runtimes [local]".
    [[nodiscard]] std::optional<std::string> check_runtime(const std::string& runtime) const;
    [[nodiscard]] std::optional<std::string> check_image(const std::string& field,
                                                         const std::string& image) const;
    [[nodiscard]] std::optional<std::string> check_container(const std::string& container) const;
    [[nodiscard]] std::optional<std::string> check_option(const std::string& name) const;
    [[nodiscard]] std::optional<std::string> check_writable(const std::string& tool) const;
    [[nodiscard]] std::optional<std::string> check_input_size(const std::string& field,
                                                              std::size_t bytes) const;
};

// Keys: runtimes, images, containers (arrays of globs), options (plugin option names),
// read_only (bool), max_sessions,
// max_input_bytes, max_output_bytes (positive integers). Unknown keys and wrong types are
// errors naming the key and the file.
[[nodiscard]] host::result<policy> load_policy(const std::filesystem::path& file);
[[nodiscard]] host::result<policy> parse_policy(const std::string& json_text,
                                                const std::string& source);

}  // namespace berth::mcp
