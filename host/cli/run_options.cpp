// Turning `berth run` flags into a plugin's session options. The plugin's JSON Schema decides
// each --opt value's type, so `--opt memory=512m` stays a string and `--opt rows=40` becomes
// an integer; errors name the flag the user typed.
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace berth::cli {
namespace {
using json = nlohmann::json;

host::error usage(std::string message) { return {BERTH_ERR_INVALID_ARGUMENT, std::move(message)}; }

std::optional<bool> parse_bool(const std::string& v) {
    if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "0" || v == "no" || v == "off") return false;
    return std::nullopt;
}

std::optional<json> parse_integer(const std::string& v) {
    if (v.empty()) return std::nullopt;
    std::size_t used = 0;
    try {
        const long long n = std::stoll(v, &used, 10);
        if (used != v.size()) return std::nullopt;
        return json(n);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<json> parse_number(const std::string& v) {
    if (v.empty()) return std::nullopt;
    std::size_t used = 0;
    try {
        const double n = std::stod(v, &used);
        if (used != v.size()) return std::nullopt;
        return json(n);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// A scalar value of the given schema type from text; nullopt if it does not parse.
std::optional<json> scalar(const std::string& type, const std::string& text) {
    if (type == "integer") return parse_integer(text);
    if (type == "number") return parse_number(text);
    if (type == "boolean") {
        if (auto b = parse_bool(text)) return json(*b);
        return std::nullopt;
    }
    return json(text);
}

std::string accepted_keys(const json& props) {
    std::string out;
    for (const auto& [k, unused] : props.items()) out += (out.empty() ? "" : ", ") + k;
    return out;
}

std::pair<std::string, std::string> split_kv(const std::string& s) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) return {s, ""};
    return {s.substr(0, eq), s.substr(eq + 1)};
}

}  // namespace

host::result<std::string> build_options_json(const run_request& request,
                                             const std::string& schema_json) {
    json schema;
    try {
        schema = json::parse(schema_json);
    } catch (const json::parse_error& e) {
        return host::error{BERTH_ERR_INTERNAL, "runtime " + request.runtime +
                                                   " has a broken options schema: " + e.what()};
    }
    const json props = schema.value("properties", json::object());
    const auto accepts = [&](const char* key) { return props.contains(key); };

    json options = json::object();
    if (request.options_json) {
        try {
            options = json::parse(*request.options_json);
        } catch (const json::parse_error& e) {
            return usage(std::string("--options-json is not valid JSON: ") + e.what());
        }
        if (!options.is_object()) return usage("--options-json must be a JSON object");
    }

    // Flags that stand for a named option; a runtime that lacks the option is told by flag.
    const auto flag = [&](const char* key, const char* spelled,
                          json value) -> std::optional<host::error> {
        if (!accepts(key))
            return usage("runtime " + request.runtime + " does not accept " + spelled +
                         " (option '" + key + "'; accepted: " + accepted_keys(props) + ")");
        options[key] = std::move(value);
        return std::nullopt;
    };
    if (request.image)
        if (auto e = flag("image", "--image", *request.image)) return *e;
    if (request.container)
        if (auto e = flag("container", "--container", *request.container)) return *e;
    if (request.tty)
        if (auto e = flag("tty", "-t/--tty", true)) return *e;
    if (request.workdir)
        if (auto e = flag("workdir", "-w/--workdir", *request.workdir)) return *e;
    if (request.user)
        if (auto e = flag("user", "-u/--user", *request.user)) return *e;
    if (!request.env.empty()) {
        json env = options.value("env", json::object());
        for (const auto& kv : request.env) {
            const auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0)
                return usage("-e '" + kv + "': expected KEY=VALUE");
            env[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
        if (auto e = flag("env", "-e/--env", env)) return *e;
    }

    for (const auto& opt : request.opts) {
        const auto eq = opt.find('=');
        if (eq == std::string::npos || eq == 0)
            return usage("--opt '" + opt + "': expected KEY=VALUE");
        const auto [key, text] = split_kv(opt);
        if (!props.contains(key))
            return usage("--opt " + opt + ": unknown option '" + key + "' for runtime " +
                         request.runtime + " (accepted: " + accepted_keys(props) + ")");
        const json& prop = props[key];
        const std::string type = prop.value("type", "string");
        if (type == "array") {
            const std::string item_type =
                prop.value("items", json::object()).value("type", "string");
            auto item = scalar(item_type, text);
            if (!item)
                return usage("--opt " + opt + ": items of '" + key + "' must be " + item_type +
                             "s");
            if (!options.contains(key) || !options[key].is_array()) options[key] = json::array();
            options[key].push_back(*item);
        } else if (type == "object") {
            const auto inner_eq = text.find('=');
            if (inner_eq == std::string::npos || inner_eq == 0)
                return usage("--opt " + opt + ": '" + key + "' takes " + key + "=NAME=VALUE");
            if (!options.contains(key) || !options[key].is_object()) options[key] = json::object();
            options[key][text.substr(0, inner_eq)] = text.substr(inner_eq + 1);
        } else {
            auto value = scalar(type, text);
            if (!value)
                return usage("--opt " + opt + ": '" + key + "' must be " +
                             (type == "integer" ? "an integer" : "a " + type));
            options[key] = *value;
        }
    }

    if (!request.command.empty()) {
        if (!accepts("command"))
            return usage("runtime " + request.runtime + " does not take a command after --");
        options["command"] = request.command;
    }
    return options.dump();
}

int exit_status_for(const host::error& e) {
    // By code only: a plugin may word its messages as it likes.
    switch (e.code) {
        case BERTH_ERR_INVALID_ARGUMENT:
            return k_exit_usage;
        case BERTH_ERR_COMMAND_NOT_FOUND:
            return k_exit_not_found;
        case BERTH_ERR_COMMAND_NOT_EXECUTABLE:
            return k_exit_not_executable;
        default:
            return k_exit_runtime_failure;
    }
}

}  // namespace berth::cli
