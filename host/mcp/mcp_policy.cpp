#include "mcp_policy.hpp"

#include <fnmatch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace berth::mcp {
namespace {
using json = nlohmann::json;

std::string listed(const std::vector<std::string>& globs) {
    std::string out;
    for (const auto& g : globs) out += (out.empty() ? "" : ", ") + g;
    return "[" + out + "]";
}

bool matches_any(const std::vector<std::string>& globs, const std::string& value) {
    for (const auto& g : globs)
        if (::fnmatch(g.c_str(), value.c_str(), 0) == 0) return true;
    return false;
}

std::optional<std::string> check_list(const std::optional<std::vector<std::string>>& globs,
                                      const char* rule, const std::string& what,
                                      const std::string& value) {
    if (!globs || matches_any(*globs, value)) return std::nullopt;
    return "policy: " + what + " '" + value + "' is not in " + rule + " " + listed(*globs);
}

}  // namespace

std::optional<std::string> policy::check_runtime(const std::string& runtime) const {
    return check_list(runtimes, "runtimes", "runtime", runtime);
}

std::optional<std::string> policy::check_image(const std::string& field,
                                               const std::string& image) const {
    return check_list(images, "images", field, image);
}

std::optional<std::string> policy::check_container(const std::string& container) const {
    return check_list(containers, "containers", "container", container);
}

std::optional<std::string> policy::check_option(const std::string& name) const {
    if (!options) return std::nullopt;
    for (const auto& o : *options)
        if (o == name) return std::nullopt;
    return "policy: plugin option '" + name + "' is not in options " + listed(*options) +
           " (a policy file allows only the plugin options it names)";
}

std::optional<std::string> policy::check_writable(const std::string& tool) const {
    if (!read_only) return std::nullopt;
    return "policy: read_only is set, so " + tool +
           " is refused (allowed: console_get_output, console_wait_for_output, "
           "console_list_sessions, console_runtimes)";
}

std::optional<std::string> policy::check_input_size(const std::string& field,
                                                    std::size_t bytes) const {
    if (bytes <= max_input_bytes) return std::nullopt;
    return "policy: '" + field + "' is " + std::to_string(bytes) + " bytes; max_input_bytes is " +
           std::to_string(max_input_bytes);
}

host::result<policy> parse_policy(const std::string& json_text, const std::string& source) {
    const auto bad = [&](const std::string& what) {
        return host::error{BERTH_ERR_INVALID_ARGUMENT, source + ": " + what};
    };
    json j = json::parse(json_text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    policy p;
    p.options = std::vector<std::string>{};  // a file allows only the plugin options it names
    for (const auto& [key, value] : j.items()) {
        if (key == "runtimes" || key == "images" || key == "containers" || key == "options") {
            if (!value.is_array()) return bad("'" + key + "' must be an array of glob strings");
            std::vector<std::string> globs;
            for (const auto& g : value) {
                if (!g.is_string() || g.get<std::string>().empty())
                    return bad("'" + key + "' must hold non-empty strings (globs)");
                globs.push_back(g.get<std::string>());
            }
            (key == "runtimes"  ? p.runtimes
             : key == "images"  ? p.images
             : key == "options" ? p.options
                                : p.containers) = std::move(globs);
        } else if (key == "read_only") {
            if (!value.is_boolean()) return bad("'read_only' must be true or false");
            p.read_only = value.get<bool>();
        } else if (key == "max_sessions" || key == "max_input_bytes" || key == "max_output_bytes") {
            if (!value.is_number_unsigned() || value.get<std::uint64_t>() == 0)
                return bad("'" + key + "' must be a positive integer");
            const auto n = static_cast<std::size_t>(value.get<std::uint64_t>());
            if (key == "max_sessions")
                p.max_sessions = n;
            else if (key == "max_input_bytes")
                p.max_input_bytes = n;
            else
                p.max_output_bytes = n;
        } else {
            return bad("unknown key '" + key +
                       "' (known: runtimes, images, containers, options, read_only, max_sessions, "
                       "max_input_bytes, max_output_bytes)");
        }
    }
    return p;
}

host::result<policy> load_policy(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in)
        return host::error{BERTH_ERR_INVALID_ARGUMENT,
                           "--policy " + file.string() + ": cannot be read"};
    std::stringstream text;
    text << in.rdbuf();
    return parse_policy(text.str(), "--policy " + file.string());
}

}  // namespace berth::mcp
