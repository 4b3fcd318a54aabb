#include "tool_args.hpp"

namespace berth::mcp {
namespace {
using json = nlohmann::json;

bool has_type(const json& v, const std::string& type) {
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_number_integer();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_boolean();
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "null") return v.is_null();
    return true;
}

std::string shown(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

std::optional<std::string> check_value(const json& v, const json& schema, const std::string& path);

std::optional<std::string> check_object(const json& v, const json& schema,
                                        const std::string& path) {
    const json props = schema.value("properties", json::object());
    const std::string where = path.empty() ? "" : " in '" + path + "'";
    for (const auto& r : schema.value("required", json::array()))
        if (!v.contains(r.get<std::string>()))
            return "field '" + (path.empty() ? "" : path + ".") + r.get<std::string>() +
                   "' is required";
    const auto extra = schema.find("additionalProperties");
    for (const auto& [k, item] : v.items()) {
        const std::string field = path.empty() ? k : path + "." + k;
        if (props.contains(k)) {
            if (auto e = check_value(item, props[k], field)) return e;
        } else if (extra != schema.end() && extra->is_boolean() && !extra->get<bool>()) {
            std::string known;
            for (const auto& [name, unused] : props.items())
                known += (known.empty() ? "" : ", ") + name;
            return "unknown field '" + field + "'" + where + " (accepted: " + known + ")";
        } else if (extra != schema.end() && extra->is_object()) {
            if (auto e = check_value(item, *extra, field)) return e;
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_value(const json& v, const json& schema, const std::string& path) {
    const std::string field = "field '" + path + "'";
    if (const auto t = schema.find("type"); t != schema.end()) {
        bool ok = false;
        std::string expected;
        for (const auto& one : t->is_array() ? *t : json::array({*t})) {
            ok = ok || has_type(v, one.get<std::string>());
            expected += (expected.empty() ? "" : " or ") + one.get<std::string>();
        }
        if (!ok) return field + ": expected " + expected + ", got " + shown(v);
    }
    if (const auto e = schema.find("enum"); e != schema.end()) {
        bool ok = false;
        std::string allowed;
        for (const auto& one : *e) {
            ok = ok || one == v;
            allowed += (allowed.empty() ? "" : ", ") + shown(one);
        }
        if (!ok) return field + ": expected one of " + allowed + ", got " + shown(v);
    }
    if (v.is_number()) {
        if (const auto m = schema.find("minimum");
            m != schema.end() && v.get<double>() < m->get<double>())
            return field + ": must be at least " + m->dump() + ", got " + shown(v);
        if (const auto m = schema.find("maximum");
            m != schema.end() && v.get<double>() > m->get<double>())
            return field + ": must be at most " + m->dump() + ", got " + shown(v);
    }
    if (v.is_string())
        if (const auto m = schema.find("minLength");
            m != schema.end() && v.get_ref<const std::string&>().size() < m->get<std::size_t>())
            return field + ": must not be empty";
    if (v.is_array()) {
        if (const auto m = schema.find("minItems");
            m != schema.end() && v.size() < m->get<std::size_t>())
            return field + ": needs at least " + m->dump() + " item(s)";
        if (const auto items = schema.find("items"); items != schema.end())
            for (std::size_t i = 0; i < v.size(); ++i)
                if (auto err = check_value(v[i], *items, path + "[" + std::to_string(i) + "]"))
                    return err;
    }
    if (v.is_object() && (schema.contains("properties") || schema.contains("additionalProperties")))
        return check_object(v, schema, path);
    return std::nullopt;
}

}  // namespace

std::optional<std::string> check_args(const json& args, const json& schema) {
    if (!args.is_object()) return "arguments must be a JSON object, got " + shown(args);
    return check_object(args, schema, "");
}

}  // namespace berth::mcp
