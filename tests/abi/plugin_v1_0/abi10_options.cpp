#include "abi10_options.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace berth::abi10 {
namespace {

using json = nlohmann::json;

std::uint16_t dimension(const json& o, const char* name, std::uint16_t fallback) {
    if (!o.contains(name)) return fallback;
    const json& v = o.at(name);
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 65535)
        throw std::invalid_argument(std::string("option '") + name +
                                    "' must be an integer from 1 to 65535");
    return v.get<std::uint16_t>();
}

}  // namespace

const std::string& options_schema() {
    static const std::string schema = R"({
  "type": "object",
  "additionalProperties": false,
  "required": ["command"],
  "properties": {
    "command": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                "description": "argv to run on the host; argv[0] is looked up in PATH"},
    "tty":  {"type": "boolean", "description": "run on a pseudo-terminal"},
    "rows": {"type": "integer", "minimum": 1, "maximum": 65535},
    "cols": {"type": "integer", "minimum": 1, "maximum": 65535}
  }
})";
    return schema;
}

session_options parse_options(std::string_view options_json) {
    const json o = json::parse(options_json, nullptr, false);
    if (!o.is_object()) throw std::invalid_argument("options must be a JSON object");
    for (const auto& [key, value] : o.items()) {
        if (key != "command" && key != "tty" && key != "rows" && key != "cols")
            throw std::invalid_argument("unknown option '" + key +
                                        "': this plugin takes command, tty, rows and cols");
    }
    session_options r;
    const auto command = o.find("command");
    if (command == o.end() || !command->is_array() || command->empty())
        throw std::invalid_argument("option 'command' must be a non-empty array of strings");
    for (const json& arg : *command) {
        if (!arg.is_string())
            throw std::invalid_argument("option 'command' must hold strings only");
        r.command.push_back(arg.get<std::string>());
    }
    if (const auto tty = o.find("tty"); tty != o.end()) {
        if (!tty->is_boolean()) throw std::invalid_argument("option 'tty' must be a boolean");
        r.tty = tty->get<bool>();
    }
    r.rows = dimension(o, "rows", r.rows);
    r.cols = dimension(o, "cols", r.cols);
    return r;
}

}  // namespace berth::abi10
