// console_create_session, console_send_input, console_send_key, console_stop_session,
// console_list_sessions, console_resize, console_signal, console_runtimes.
#include <mutex>

#include "base64.hpp"
#include "session_commands.hpp"
#include "tool_handlers.hpp"

namespace berth::mcp {
namespace {

std::string names(const json& props) {
    std::string out;
    for (const auto& [k, unused] : props.items()) out += (out.empty() ? "" : ", ") + k;
    return out;
}

// Appends the bytes console_send_key's arguments stand for; the error when a key is unknown.
std::optional<std::string> key_sequence(const json& args, std::string& bytes) {
    for (const auto& k : args.value("keys", json::array())) {
        const auto b = cli::key_bytes(k.get<std::string>());
        if (!b) {
            return "field 'keys': unknown key '" + k.get<std::string>() +
                   "' (enter, tab, esc, backspace, space, up, down, left, right, home, end, "
                   "insert, delete, pageup, pagedown, shift-tab, f1..f12, ctrl-a..ctrl-z, "
                   "alt-<key>, or one character)";
        }
        bytes += *b;
    }
    if (args.contains("paste"))
        bytes += "\x1b[200~" + args["paste"].get<std::string>() + "\x1b[201~";
    return std::nullopt;
}

tool_outcome write_bytes(tool_env& env, const std::string& session, const std::string& bytes) {
    BERTH_TOOL_TRY(r, env.call("session.write", {{"id", session},
                                                 {"data", wire::base64_encode(bytes)},
                                                 {"encoding", "base64"}}));
    return tool_outcome::ok({{"session", session}, {"written", r.value("written", bytes.size())}});
}

}  // namespace

std::variant<json, std::string> open_session(tool_env& env, const json& args, json command) {
    const std::string runtime = args.value("runtime", "local");
    if (auto refused = env.rules.check_runtime(runtime)) return *refused;

    auto plugins = env.call("plugin.list", json::object());
    if (auto* e = std::get_if<std::string>(&plugins)) return *e;
    json schema;
    std::string loaded;
    for (const auto& p : std::get<json>(plugins)) {
        if (p.value("status", "") != "loaded") continue;
        loaded += (loaded.empty() ? "" : ", ") + p.value("runtime", "");
        if (p.value("runtime", "") == runtime) schema = p.value("options_schema", json::object());
    }
    if (schema.is_null())
        return "field 'runtime': berthd has no runtime '" + runtime + "' (loaded: " + loaded + ")";
    const json props = schema.value("properties", json::object());

    json options = args.value("options", json::object());
    // Tool fields that stand for a plugin option, and the option's name.
    static const std::pair<const char*, const char*> k_fields[] = {
        {"image", "image"}, {"container", "container"}, {"template", "template"},
        {"tty", "tty"},     {"rows", "rows"},           {"cols", "cols"},
        {"env", "env"},     {"cwd", "workdir"},         {"user", "user"}};
    for (const auto& [field, option] : k_fields) {
        if (!args.contains(field)) continue;
        if (!props.contains(option))
            return "field '" + std::string(field) + "': runtime " + runtime + " has no option '" +
                   option + "' (its options: " + names(props) + ")";
        options[option] = args[field];
    }
    if (props.contains("command")) options["command"] = std::move(command);
    // The plugin's own options, by name, as the policy allows them (a policy file allows none
    // unless it lists them: podman's `binary` or `volumes` would get around every other rule).
    const json plugin_options = args.value("options", json::object());
    for (const auto& [key, unused] : plugin_options.items())
        if (auto refused = env.rules.check_option(key)) return *refused;
    // On the options as they go to the plugin: an image given inside `options` is checked
    // like one given as a field.
    for (const char* key : {"image", "template", "container"}) {
        if (!options.contains(key)) continue;
        if (!options[key].is_string()) return "field '" + std::string(key) + "' must be a string";
        const std::string value = options[key];
        auto refused = std::string(key) == "container" ? env.rules.check_container(value)
                                                       : env.rules.check_image(key, value);
        if (refused) return *refused;
    }
    // Counting and opening under one lock, so concurrent creates cannot all see room.
    static std::mutex counting;
    std::unique_lock count_lock(counting, std::defer_lock);
    if (env.rules.max_sessions) {
        count_lock.lock();
        auto list = env.call("session.list", json::object());
        if (auto* e = std::get_if<std::string>(&list)) return *e;
        std::size_t open = 0;
        for (const auto& r : std::get<json>(list)) {
            const std::string state = r.value("state", "");
            open += state == "starting" || state == "running";
        }
        if (open >= *env.rules.max_sessions)
            return "policy: max_sessions is " + std::to_string(*env.rules.max_sessions) + " and " +
                   std::to_string(open) + " sessions are open (stop one with console_stop_session)";
    }
    // Not cancellable: berthd finishes an open whose client left, so a cancel here would leave
    // a session nobody knows. It is bounded; a cancel that came meanwhile closes it after.
    auto opened = env.link.call("session.open", {{"runtime", runtime}, {"options", options}},
                                std::chrono::seconds(120));
    if (!opened) return "berthd: " + opened.err().message;
    const std::string id = opened.value().value("id", "");
    auto record = env.link.call("session.get", {{"id", id}}, std::chrono::seconds(30));
    if (env.cancel.cancelled() || !record) {
        (void)env.link.call("session.close", {{"id", id}}, std::chrono::seconds(90));
        return env.cancel.cancelled() ? "cancelled" : "berthd: " + record.err().message;
    }
    return std::move(record.value());
}

tool_outcome create_session(tool_env& env, const json& args) {
    json command = args.value("command", json::array({"sh"}));
    for (const auto& a : args.value("args", json::array())) command.push_back(a);
    auto r = open_session(env, args, std::move(command));
    if (auto* e = std::get_if<std::string>(&r)) return tool_outcome::fail(*e);
    json out = session_summary(std::get<json>(r));
    out["cursor"] = 0;
    return tool_outcome::ok(std::move(out));
}

tool_outcome send_input(tool_env& env, const json& args) {
    std::string bytes = args["input"].get<std::string>();
    if (args.value("encoding", "text") == "base64") {
        auto decoded = wire::base64_decode(bytes);
        if (!decoded) return tool_outcome::fail("field 'input': not valid base64");
        bytes = std::move(*decoded);
    }
    if (auto refused = env.rules.check_input_size("input", bytes.size()))
        return tool_outcome::fail(*refused);
    return write_bytes(env, args["session"].get<std::string>(), bytes);
}

tool_outcome send_key(tool_env& env, const json& args) {
    std::string bytes;
    if (auto e = key_sequence(args, bytes)) return tool_outcome::fail(*e);
    if (bytes.empty()) return tool_outcome::fail("give 'keys' or 'paste'");
    if (auto refused = env.rules.check_input_size("keys/paste", bytes.size()))
        return tool_outcome::fail(*refused);
    return write_bytes(env, args["session"].get<std::string>(), bytes);
}

tool_outcome stop_session(tool_env& env, const json& args) {
    json params = {{"id", args["session"]}};
    if (args.contains("grace_ms")) params["grace_ms"] = args["grace_ms"];
    BERTH_TOOL_TRY(r, env.call("session.close", params, std::chrono::seconds(90)));
    return tool_outcome::ok(session_summary(r));
}

tool_outcome list_sessions(tool_env& env, const json&) {
    BERTH_TOOL_TRY(r, env.call("session.list", json::object()));
    json sessions = json::array();
    for (const auto& rec : r) sessions.push_back(session_summary(rec));
    return tool_outcome::ok({{"sessions", std::move(sessions)}});
}

tool_outcome resize(tool_env& env, const json& args) {
    BERTH_TOOL_TRY(
        r, env.call("session.resize",
                    {{"id", args["session"]}, {"rows", args["rows"]}, {"cols", args["cols"]}}));
    (void)r;
    return tool_outcome::ok(
        {{"session", args["session"]}, {"rows", args["rows"]}, {"cols", args["cols"]}});
}

tool_outcome send_signal(tool_env& env, const json& args) {
    BERTH_TOOL_TRY(
        r, env.call("session.signal", {{"id", args["session"]}, {"signal", args["signal"]}}));
    (void)r;
    return tool_outcome::ok({{"session", args["session"]}, {"signal", args["signal"]}});
}

tool_outcome runtimes(tool_env& env, const json&) {
    BERTH_TOOL_TRY(plugins, env.call("plugin.list", json::object()));
    BERTH_TOOL_TRY(health, env.call("health.get", json::object()));
    json loaded = json::array();
    json rejected = json::array();
    for (const auto& p : plugins) {
        if (p.value("status", "") != "loaded") {
            rejected.push_back({{"path", p.value("path", "")},
                                {"status", p.value("status", "")},
                                {"reason", p.value("reason", "")}});
            continue;
        }
        json h = {{"state", "unknown"}, {"detail", ""}, {"attributes", json::object()}};
        for (const auto& m : health)
            if (m.value("runtime", "") == p.value("runtime", ""))
                h = {{"state", m.value("state", "unknown")},
                     {"detail", m.value("detail", "")},
                     {"attributes", m.value("attributes", json::object())}};
        loaded.push_back({{"runtime", p.value("runtime", "")},
                          {"plugin", p.value("name", "")},
                          {"version", p.value("version", "")},
                          {"capabilities", p.value("capabilities", json::array())},
                          {"options", p.value("options_schema", json::object())},
                          {"health", std::move(h)}});
    }
    return tool_outcome::ok({{"runtimes", std::move(loaded)}, {"rejected", std::move(rejected)}});
}

}  // namespace berth::mcp
