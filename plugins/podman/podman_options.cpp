#include "podman_options.hpp"

#include <berth/sdk/option_checks.hpp>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace berth::plugins::podman {
namespace {

// The runtime's own options; sdk::console_schema adds command, tty, rows, cols and env.
constexpr std::string_view k_runtime_properties = R"schema({
    "image":        {"type": "string",
                     "description": "run mode: start a new container from this local image"},
    "container":    {"type": "string",
                     "description": "exec mode: run the command in this running container"},
    "workdir":      {"type": "string", "description": "absolute working directory (--workdir)"},
    "user":         {"type": "string", "description": "user[:group] to run as (--user)"},
    "privileged":   {"type": "boolean", "description": "extended privileges (--privileged)"},
    "name":         {"type": "string",
                     "description": "run mode: container name (--name); default berth-<12 hex>"},
    "network":      {"type": "string", "description": "run mode: network mode (--network)"},
    "volumes":      {"type": "array", "items": {"type": "string"},
                     "description": "run mode: bind mounts or volumes (--volume), one per item"},
    "ports":        {"type": "array", "items": {"type": "string"},
                     "description": "run mode: published ports (--publish), one per item"},
    "labels":       {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "run mode: container labels (--label)"},
    "memory":       {"type": "string",
                     "description": "run mode: memory limit such as 512m or 1g (--memory)"},
    "cpus":         {"type": "number", "minimum": 0,
                     "description": "run mode: number of CPUs, > 0 (--cpus)"},
    "read_only":    {"type": "boolean",
                     "description": "run mode: read-only root filesystem (--read-only)"},
    "cap_add":      {"type": "array", "items": {"type": "string"},
                     "description": "run mode: capabilities to add (--cap-add)"},
    "cap_drop":     {"type": "array", "items": {"type": "string"},
                     "description": "run mode: capabilities to drop (--cap-drop)"},
    "security_opt": {"type": "array", "items": {"type": "string"},
                     "description": "run mode: security options (--security-opt)"},
    "devices":      {"type": "array", "items": {"type": "string"},
                     "description": "run mode: host devices (--device)"},
    "tmpfs":        {"type": "array", "items": {"type": "string"},
                     "description": "run mode: tmpfs mounts such as /run:size=64m (--tmpfs)"},
    "init":         {"type": "boolean",
                     "description": "run mode: an init process that forwards signals (--init)"},
    "pull":         {"type": "string", "enum": ["always", "missing", "never", "newer"],
                     "description": "run mode: image pull policy (--pull); default never"},
    "binary":       {"type": "string", "description": "the podman executable; default podman"},
    "url":          {"type": "string",
                     "description": "remote podman service URL (podman --url)"},
    "connection":   {"type": "string",
                     "description": "remote podman connection name (podman --connection)"},
    "log_level":    {"type": "string",
                     "enum": ["trace", "debug", "info", "warn", "warning", "error", "fatal",
                              "panic"],
                     "description": "podman's own log level (podman --log-level)"}
})schema";

// The options that only a new container can take.
constexpr std::array k_run_only = {"name",         "network", "volumes",   "ports",   "labels",
                                   "memory",       "cpus",    "read_only", "cap_add", "cap_drop",
                                   "security_opt", "devices", "tmpfs",     "init",    "pull"};

[[noreturn]] void invalid(const std::string& message) {
    throw sdk::error(BERTH_ERR_INVALID_ARGUMENT, message);
}

// A value that becomes one argv word of podman's: set, and on one line (a line break would
// reach podman's line-based parsing of env and labels, or look like a second value).
void check_word(const std::string& option, const std::string& value) {
    sdk::check_not_empty(option, value);
    sdk::check_single_line(option, value);
}

// An image or container name stands alone in podman's argv.
void check_reference(const char* key, const std::string& value) {
    check_word(key, value);
    sdk::check_not_flag(key, value, "podman");
    if (std::any_of(value.begin(), value.end(),
                    [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
        invalid(std::string("option '") + key +
                "' must not contain spaces or control characters, got " + sdk::quoted_value(value));
}

// The values of a map option that becomes NAME=VALUE words (the names are the SDK's check).
void check_values(const char* key, const std::map<std::string, std::string>& values) {
    for (const auto& [k, v] : values) sdk::check_single_line(std::string(key) + "." + k, v);
}

void check_items(const char* key, const std::vector<std::string>& items) {
    for (std::size_t i = 0; i < items.size(); ++i)
        check_word(std::string(key) + "[" + std::to_string(i) + "]", items[i]);
}

// podman's own rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*
bool valid_container_name(const std::string& name) {
    const auto ok = [](unsigned char c) { return std::isalnum(c) != 0; };
    if (name.empty() || !ok(static_cast<unsigned char>(name.front()))) return false;
    return std::all_of(name.begin(), name.end(),
                       [&](unsigned char c) { return ok(c) || c == '_' || c == '.' || c == '-'; });
}

// 512, 512m, 1.5g: digits, an optional fraction, an optional unit b/k/m/g.
bool valid_memory(const std::string& text) {
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) ++i;
        return i > start;
    };
    if (!digits()) return false;
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (!digits()) return false;
    }
    if (i < text.size() && std::string_view("bkmgBKMG").find(text[i]) != std::string_view::npos)
        ++i;
    return i == text.size();
}

}  // namespace

std::string_view options_schema() {
    static const std::string schema = sdk::console_schema(
        k_runtime_properties,
        {.command_description = "argv to run in the container (run mode default: the image's CMD)",
         .tty_description = "run on a pseudo-terminal (podman -t)",
         .env_description = "environment variables (--env)"});
    return schema;
}

podman_options parse_options(std::string_view options_json) {
    const sdk::session_options o(options_schema(), options_json);  // types, enums, unknown keys
    podman_options p;

    const bool has_image = o.has("image");
    const bool has_container = o.has("container");
    if (has_image == has_container)
        invalid(has_image ? "options 'image' and 'container' exclude each other: give 'image' to "
                            "run a new container or 'container' to exec into a running one"
                          : "missing option 'image' (run a new container) or 'container' (exec "
                            "into a running one)");
    p.mode = has_image ? session_mode::run : session_mode::exec;
    if (has_image) {
        p.image = *o.string("image");
        check_reference("image", p.image);
    } else {
        p.container = *o.string("container");
        check_reference("container", p.container);
        for (const char* key : k_run_only)
            if (o.has(key))
                invalid(std::string("option '") + key +
                        "' applies only to a new container ('image'), not to exec into '" +
                        p.container + "'");
    }

    p.command = o.strings("command");
    if (p.mode == session_mode::exec && p.command.empty())
        invalid("missing option 'command': exec into '" + p.container + "' needs a command");
    // A command's own arguments may hold line breaks (sh -c scripts); NUL the SDK refused.
    if (!p.command.empty() && p.command.front().empty())
        invalid("option 'command[0]' must not be empty: it names the program to run");

    p.tty = o.flag("tty");
    p.rows = o.integer_as<std::uint16_t>("rows").value_or(sdk::k_default_rows);
    p.cols = o.integer_as<std::uint16_t>("cols").value_or(sdk::k_default_cols);

    p.env = o.string_map("env");
    sdk::check_names("env", p.env);
    check_values("env", p.env);
    sdk::check_not_reserved("env", p.env, std::array{k_token_env},
                            "berth sets it to find the session's processes");

    p.workdir = o.string("workdir").value_or("");
    if (o.has("workdir")) {
        sdk::check_single_line("workdir", p.workdir);
        sdk::check_absolute_path("workdir", p.workdir, "inside the container");
    }
    p.user = o.string("user").value_or("");
    if (o.has("user")) check_word("user", p.user);
    p.privileged = o.flag("privileged");

    p.name = o.string("name").value_or("");
    if (o.has("name") && !valid_container_name(p.name))
        invalid("option 'name' must match [a-zA-Z0-9][a-zA-Z0-9_.-]*, got " +
                sdk::quoted_value(p.name));
    p.network = o.string("network").value_or("");
    if (o.has("network")) check_word("network", p.network);
    p.volumes = o.strings("volumes");
    check_items("volumes", p.volumes);
    p.ports = o.strings("ports");
    check_items("ports", p.ports);
    p.labels = o.string_map("labels");
    sdk::check_labels("labels", p.labels, std::array{k_session_label});
    check_values("labels", p.labels);
    p.memory = o.string("memory").value_or("");
    if (o.has("memory") && !valid_memory(p.memory))
        invalid(
            "option 'memory' must be a size such as 512m or 1g (digits, then b, k, m or g), "
            "got " +
            sdk::quoted_value(p.memory));
    p.cpus = o.number("cpus");
    if (p.cpus && !(*p.cpus > 0)) invalid("option 'cpus' must be a number greater than 0");
    p.read_only = o.flag("read_only");
    p.cap_add = o.strings("cap_add");
    check_items("cap_add", p.cap_add);
    p.cap_drop = o.strings("cap_drop");
    check_items("cap_drop", p.cap_drop);
    p.security_opt = o.strings("security_opt");
    check_items("security_opt", p.security_opt);
    p.devices = o.strings("devices");
    check_items("devices", p.devices);
    p.tmpfs = o.strings("tmpfs");
    check_items("tmpfs", p.tmpfs);
    p.init = o.flag("init");
    p.pull = o.string("pull").value_or("never");

    p.binary = o.string("binary").value_or("podman");
    check_word("binary", p.binary);
    p.url = o.string("url").value_or("");
    p.connection = o.string("connection").value_or("");
    if (o.has("url") && o.has("connection"))
        invalid(
            "options 'url' and 'connection' exclude each other: give one way to reach the "
            "podman service");
    if (o.has("url")) check_word("url", p.url);
    if (o.has("connection")) check_word("connection", p.connection);
    p.log_level = o.string("log_level").value_or("");
    return p;
}

}  // namespace berth::plugins::podman
