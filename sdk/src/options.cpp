#include <berth/sdk/option_checks.hpp>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <vector>

namespace berth::sdk {
namespace {
using json = nlohmann::json;

std::string type_name(const json& v) {
    if (v.is_boolean()) return "a boolean";
    if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    if (v.is_object()) return "an object";
    return "null";
}

bool has_type(const json& v, const std::string& type) {
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_number_integer() || v.is_number_unsigned();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_boolean();
    if (type == "array") return v.is_array();
    if (type == "object") return v.is_object();
    if (type == "null") return v.is_null();
    return false;
}

std::string expected(const std::string& type) {
    if (type == "integer" || type == "array" || type == "object") return "an " + type;
    return "a " + type;
}

// Checks value against a property schema; returns the problem or "". `where` names the
// option ("'env'", "'command[2]'").
std::string check(const json& schema, const json& value, const std::string& where) {
    if (!schema.is_object()) return {};
    if (auto t = schema.find("type"); t != schema.end() && t->is_string()) {
        if (!has_type(value, t->get<std::string>()))
            return "option " + where + " must be " + expected(t->get<std::string>()) + ", got " +
                   type_name(value);
    }
    if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
        bool found = false;
        for (const auto& allowed : *e) found = found || allowed == value;
        if (!found)
            return "option " + where + " must be one of " + e->dump() + ", got " + value.dump();
    }
    if (value.is_number()) {
        const double v = value.get<double>();
        if (auto m = schema.find("minimum");
            m != schema.end() && m->is_number() && v < m->get<double>())
            return "option " + where + " must be at least " + m->dump() + ", got " + value.dump();
        if (auto m = schema.find("maximum");
            m != schema.end() && m->is_number() && v > m->get<double>())
            return "option " + where + " must be at most " + m->dump() + ", got " + value.dump();
    }
    if (value.is_array()) {
        if (auto m = schema.find("minItems");
            m != schema.end() && m->is_number_unsigned() && value.size() < m->get<std::size_t>())
            return "option " + where + " needs at least " + m->dump() + " item(s)";
        if (auto items = schema.find("items"); items != schema.end()) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                const std::string inner =
                    where.substr(0, where.size() - 1) + "[" + std::to_string(i) + "]'";
                if (auto p = check(*items, value[i], inner); !p.empty()) return p;
            }
        }
    }
    if (value.is_object() && !schema.contains("properties")) {
        if (auto extra = schema.find("additionalProperties");
            extra != schema.end() && extra->is_object()) {
            for (const auto& [k, v] : value.items()) {
                const std::string inner = where.substr(0, where.size() - 1) + "." + k + "'";
                if (auto p = check(*extra, v, inner); !p.empty()) return p;
            }
        }
    }
    return {};
}

// Characters of an option's name in a message, at most, on each side of a cut.
constexpr std::size_t k_name_chars = 64;

// `s` quoted for a message, around its first NUL when it is long.
std::string preview(const std::string& s) { return quoted_value(s, s.find('\0')); }

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

// The first string in `value` (at any depth, object member names included) holding a NUL,
// named like check() names options ('env.A', 'command[2]'); "" when there is none. A NUL
// would end the string in an argv, an environment entry or a path without a word, so no
// runtime gets one. Iterative, and linear in the size of the value: how deep the options
// nest is the client's choice, so a name is put together only for the string reported.
std::string nul_problem(const json& value, const std::string& where) {
    constexpr std::size_t k_none = std::string::npos;
    struct node {
        const json* value;
        std::size_t parent = k_none;  // index in nodes; k_none for the option itself
        std::size_t index = 0;        // in the parent array, or
        const std::string* key{};     // the member name in the parent object
        [[nodiscard]] std::string step() const {
            return key != nullptr ? "." + *key : "[" + std::to_string(index) + "]";
        }
    };
    std::vector<node> nodes{{&value}};
    std::vector<std::size_t> pending{0};
    // The option's name for node i, cut in the middle (between steps) when the options nest
    // deeper than a message should show.
    const auto name_of = [&](std::size_t i) {
        std::vector<std::string> steps;  // innermost first
        for (; nodes[i].parent != k_none; i = nodes[i].parent) steps.push_back(nodes[i].step());
        std::string head = where.substr(0, where.size() - 1);  // without the closing quote
        std::size_t outer = steps.size();                      // steps[outer..) are in head
        while (outer > 0 && head.size() + steps[outer - 1].size() <= k_name_chars)
            head += steps[--outer];
        std::string tail;
        std::size_t inner = 0;  // steps[0, inner) are in tail, innermost first
        while (inner < outer && tail.size() + steps[inner].size() <= k_name_chars)
            tail.insert(0, steps[inner++]);
        return head + (inner < outer ? "..." : "") + tail + "'";
    };
    while (!pending.empty()) {
        const std::size_t at = pending.back();
        pending.pop_back();
        const json& v = *nodes[at].value;
        if (v.is_string()) {
            if (has_nul(v.get_ref<const std::string&>()))
                return "option " + name_of(at) + " value " +
                       preview(v.get_ref<const std::string&>()) + " contains a NUL byte";
            continue;
        }
        // Children in order (pushed last to first onto the stack); only what can hold text.
        const std::size_t first = nodes.size();
        if (v.is_array()) {
            for (std::size_t i = 0; i < v.size(); ++i)
                if (v[i].is_string() || v[i].is_structured()) nodes.push_back({&v[i], at, i});
        } else if (v.is_object()) {
            for (const auto& [k, unused] : v.items())
                if (has_nul(k))
                    return "option " + name_of(at) + " has the name " + preview(k) +
                           ", which contains a NUL byte";
            for (auto it = v.begin(); it != v.end(); ++it)
                if (it->is_string() || it->is_structured())
                    nodes.push_back({&*it, at, 0, &it.key()});
        }
        for (std::size_t n = nodes.size(); n-- > first;) pending.push_back(n);
    }
    return {};
}

// The types check() knows; any other makes every value fail.
constexpr std::array<std::string_view, 7> k_types = {"string", "integer", "number", "boolean",
                                                     "array",  "object",  "null"};

bool has_properties_object(const json& schema) {
    return schema.is_object() && schema.contains("properties") && schema["properties"].is_object();
}

// What check() would misread in one property's schema (and the schemas it nests), or "".
// `where` names it: "property 'env'", "property 'command' items".
std::string property_problem(const json& schema, const std::string& where) {
    if (!schema.is_object())
        return where + " is " + type_name(schema) +
               ", not a schema object (it would accept any value)";
    if (auto t = schema.find("type"); t != schema.end()) {
        if (!t->is_string())
            return where + " has type " + t->dump() + ": berth reads only a single type name";
        if (std::find(k_types.begin(), k_types.end(), t->get_ref<const std::string&>()) ==
            k_types.end())
            return where + " has type '" + t->get<std::string>() +
                   "', which is not one of string, integer, number, boolean, array, object, "
                   "null (no value could match it)";
    }
    if (auto e = schema.find("enum"); e != schema.end() && !e->is_array())
        return where + " has an 'enum' that is not an array";
    if (auto items = schema.find("items"); items != schema.end())
        if (auto p = property_problem(*items, where + " items"); !p.empty()) return p;
    if (auto extra = schema.find("additionalProperties");
        extra != schema.end() && !extra->is_boolean())
        if (auto p = property_problem(*extra, where + " additionalProperties"); !p.empty())
            return p;
    return {};
}

std::string validate(const json& schema, const json& options) {
    if (!has_properties_object(schema))
        return "the plugin's options schema is broken: it has no 'properties' object";
    if (!options.is_object()) return "options must be a JSON object, got " + type_name(options);
    const json& props = schema["properties"];
    const bool closed = schema.value("additionalProperties", true) == false;
    for (const auto& [key, value] : options.items()) {
        if (has_nul(key)) return "option " + preview(key) + " contains a NUL byte in its name";
        auto p = props.find(key);
        if (p == props.end()) {
            // Not in the schema, but a plugin may still read it: no NUL there either.
            if (!closed) {
                if (auto problem = nul_problem(value, "'" + key + "'"); !problem.empty())
                    return problem;
                continue;
            }
            std::string accepted;
            for (const auto& [name, unused] : props.items())
                accepted += (accepted.empty() ? "" : ", ") + name;
            return "unknown option '" + key + "' (accepted: " + accepted + ")";
        }
        if (auto problem = check(*p, value, "'" + key + "'"); !problem.empty()) return problem;
        if (auto problem = nul_problem(value, "'" + key + "'"); !problem.empty()) return problem;
    }
    if (auto req = schema.find("required"); req != schema.end() && req->is_array()) {
        for (const auto& r : *req) {
            if (r.is_string() && !options.contains(r.get<std::string>()))
                return "missing required option '" + r.get<std::string>() + "'";
        }
    }
    return {};
}

json parse(std::string_view text, const char* what,
           berth_status status = BERTH_ERR_INVALID_ARGUMENT) {
    try {
        return json::parse(text);
    } catch (const json::exception& e) {  // parse_error, out_of_range (1e309), ...
        throw error(status, std::string(what) + " are not valid JSON: " + e.what());
    }
}

}  // namespace

std::string validate_options(std::string_view schema_json, std::string_view options_json) {
    json schema;
    try {
        schema = json::parse(schema_json);
    } catch (const json::exception& e) {  // parse_error, out_of_range (1e309), ...
        return std::string("the plugin's options schema is not valid JSON: ") + e.what();
    }
    json options;
    try {
        options = json::parse(options_json);
    } catch (const json::exception& e) {  // parse_error, out_of_range (1e309), ...
        return std::string("options are not valid JSON: ") + e.what();
    }
    return validate(schema, options);
}

std::string schema_problem(std::string_view schema_json) {
    json schema;
    try {
        schema = json::parse(schema_json);
    } catch (const json::exception& e) {  // parse_error, out_of_range (1e309), ...
        return std::string("not valid JSON: ") + e.what();
    }
    if (!schema.is_object()) return "it is " + type_name(schema) + ", not a JSON object";
    if (auto t = schema.find("type"); t != schema.end() && *t != "object")
        return "its type is " + t->dump() +
               ", but session options are always a JSON object: "
               "use \"type\": \"object\"";
    if (!has_properties_object(schema))
        return "it has no 'properties' object, so the host refuses every session's options";
    const json& props = schema["properties"];
    for (const auto& [name, property] : props.items())
        if (auto p = property_problem(property, "property '" + name + "'"); !p.empty()) return p;
    const auto extra = schema.find("additionalProperties");
    if (extra != schema.end() && !extra->is_boolean())
        if (auto p = property_problem(*extra, "additionalProperties"); !p.empty()) return p;
    const bool closed = extra != schema.end() && *extra == false;
    if (auto req = schema.find("required"); req != schema.end()) {
        if (!req->is_array()) return "its 'required' is not an array of option names";
        for (const auto& r : *req) {
            if (!r.is_string()) return "its 'required' lists " + r.dump() + ", not an option name";
            if (closed && !props.contains(r.get<std::string>()))
                return "it requires option '" + r.get<std::string>() +
                       "', which its closed 'properties' do not list, so no options can pass";
        }
    }
    return {};
}

std::string console_schema(std::string_view runtime_properties_json, const console_fields& fields) {
    json props = parse(runtime_properties_json, "the plugin's runtime options", BERTH_ERR_INTERNAL);
    if (!props.is_object())
        throw error(BERTH_ERR_INTERNAL,
                    "the plugin's runtime options must be a JSON object of property schemas");
    const auto terminal_size = [](std::string_view what) {
        return json{{"type", "integer"},
                    {"minimum", 1},
                    {"maximum", 65535},
                    {"description", "initial terminal " + std::string(what) + " (tty)"}};
    };
    const std::array<std::pair<const char*, json>, 5> console = {{
        {"command",
         {{"type", "array"},
          {"items", {{"type", "string"}}},
          {"minItems", 1},
          {"description", fields.command_description}}},
        {"tty", {{"type", "boolean"}, {"description", fields.tty_description}}},
        {"rows", terminal_size("rows")},
        {"cols", terminal_size("columns")},
        {"env",
         {{"type", "object"},
          {"additionalProperties", {{"type", "string"}}},
          {"description", fields.env_description}}},
    }};
    for (const auto& [name, property] : props.items())
        if (!property.is_object())
            throw error(BERTH_ERR_INTERNAL,
                        "the plugin's runtime option '" + name + "' has no schema object");
    for (const auto& [name, property] : console) {
        if (props.contains(name))
            throw error(BERTH_ERR_INTERNAL, std::string("the plugin's runtime options repeat '") +
                                                name + "', which the console options define");
        props[name] = property;
    }
    json schema = {{"type", "object"}, {"additionalProperties", false}, {"properties", props}};
    if (fields.command_required) schema["required"] = json::array({"command"});
    return schema.dump();
}

struct session_options::impl {
    json values;
};

session_options::session_options(std::string_view schema_json, std::string_view options_json)
    : impl_(std::make_unique<impl>()) {
    const json schema = parse(schema_json, "the plugin's options schema");
    impl_->values = parse(options_json, "session options");
    if (auto problem = validate(schema, impl_->values); !problem.empty())
        throw error(BERTH_ERR_INVALID_ARGUMENT, problem);
}

session_options::~session_options() = default;
session_options::session_options(session_options&&) noexcept = default;
session_options& session_options::operator=(session_options&&) noexcept = default;

bool session_options::has(std::string_view key) const {
    return impl_->values.contains(std::string(key));
}

std::optional<std::string> session_options::string(std::string_view key) const {
    auto it = impl_->values.find(std::string(key));
    if (it == impl_->values.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

std::optional<std::int64_t> session_options::integer(std::string_view key) const {
    auto it = impl_->values.find(std::string(key));
    if (it == impl_->values.end() || !it->is_number_integer()) return std::nullopt;
    // nlohmann keeps a non-negative integer as unsigned: one past int64 would wrap in get().
    if (it->is_number_unsigned() &&
        it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
        return std::nullopt;
    return it->get<std::int64_t>();
}

std::optional<double> session_options::number(std::string_view key) const {
    auto it = impl_->values.find(std::string(key));
    if (it == impl_->values.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}

std::optional<std::int64_t> session_options::integer_in(std::string_view key, std::int64_t min,
                                                        std::int64_t max) const {
    auto it = impl_->values.find(std::string(key));
    if (it == impl_->values.end()) return std::nullopt;
    const auto v = integer(key);
    if (!v || *v < min || *v > max)
        throw error(BERTH_ERR_INVALID_ARGUMENT,
                    "option '" + std::string(key) + "' must be an integer from " +
                        std::to_string(min) + " to " + std::to_string(max) + ", got " +
                        (it->is_number() ? it->dump() : type_name(*it)));
    return v;
}

bool session_options::flag(std::string_view key, bool fallback) const {
    auto it = impl_->values.find(std::string(key));
    if (it == impl_->values.end() || !it->is_boolean()) return fallback;
    return it->get<bool>();
}

std::vector<std::string> session_options::strings(std::string_view key) const {
    std::vector<std::string> out;
    auto it = impl_->values.find(std::string(key));
    if (it == impl_->values.end() || !it->is_array()) return out;
    for (const auto& v : *it)
        if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

std::map<std::string, std::string> session_options::string_map(std::string_view key) const {
    std::map<std::string, std::string> out;
    auto it = impl_->values.find(std::string(key));
    if (it == impl_->values.end() || !it->is_object()) return out;
    for (const auto& [k, v] : it->items())
        if (v.is_string()) out.emplace(k, v.get<std::string>());
    return out;
}

}  // namespace berth::sdk
