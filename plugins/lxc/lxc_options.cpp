#include "lxc_options.hpp"

#include <berth/sdk/option_checks.hpp>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include <filesystem>
#include <initializer_list>
#include <system_error>

namespace berth::plugins::lxc {
namespace {

// lxc-attach has no --cwd and no --user (the TypeScript original passed both), so `workdir`
// and `user` are not accepted: the CLI then says `-w`/`-u` are not supported by this runtime.
// sdk::console_schema adds command, tty, rows, cols and env.
constexpr std::string_view k_runtime_properties = R"schema({
  "container":   {"type": "string",
                  "description": "attach mode: an existing container to enter with lxc-attach"},
  "template":    {"type": "string",
                  "description": "ephemeral mode: a stopped container to copy (lxc-copy -e -B overlayfs); the copy is destroyed when the session ends"},
  "name":        {"type": "string",
                  "description": "create mode: name of the container to create (with lxc_template)"},
  "lxc_template": {"type": "string",
                  "description": "create mode: LXC template for lxc-create -t, e.g. busybox"},
  "lxc_template_args": {"type": "array", "items": {"type": "string"},
                  "description": "create mode: arguments for the template (after --)"},
  "lxcpath":     {"type": "string", "description": "LXC container path (-P); default: lxc-config lxc.lxcpath"},
  "config_file": {"type": "string", "description": "create mode: initial configuration file (lxc-create -f)"},
  "clear_env":   {"type": "boolean",
                  "description": "start from an empty environment (--clear-env); default: lxc-attach keeps berth's"},
  "keep_vars":   {"type": "array", "items": {"type": "string"},
                  "description": "with clear_env: variables to keep (--keep-var)"},
  "uid":         {"type": "integer", "minimum": 0, "maximum": 4294967294,
                  "description": "numeric user id in the container (-u)"},
  "gid":         {"type": "integer", "minimum": 0, "maximum": 4294967294,
                  "description": "numeric group id in the container (-g)"},
  "namespaces":  {"type": "string",
                  "description": "attach only to these namespaces (-s), e.g. MOUNT|PID; implies elevated privileges"},
  "elevated_privileges": {"type": "string",
                  "description": "ALL, or an |-list of CAP, CGROUP, LSM (--elevated-privileges)"},
  "remount_sys_proc": {"type": "boolean",
                  "description": "with namespaces: remount /sys and /proc (-R)"},
  "ensure_running": {"type": "boolean",
                  "description": "attach mode: start the container first if it is stopped (it stays running)"},
  "destroy_on_close": {"type": "boolean",
                  "description": "create mode: stop and destroy the container when the session ends"},
  "stop_timeout": {"type": "integer", "minimum": 0, "maximum": 3600,
                  "description": "seconds lxc-stop waits for a clean shutdown of a container the session stops; 0 (default) kills at once"}
})schema";

[[noreturn]] void invalid(const std::string& message) {
    throw sdk::error(BERTH_ERR_INVALID_ARGUMENT, message);
}

std::string container_name(const sdk::session_options& o, const char* key, const char* what) {
    std::string value = *o.string(key);
    sdk::check_not_empty(key, value);
    sdk::check_not_flag(key, value, "the LXC tools");
    if (!valid_container_name(value))
        invalid("option '" + std::string(key) + "' must be " + what +
                ": a container name without '/' or control characters, got " +
                sdk::quoted_value(value));
    return value;
}

std::string absolute_path(const sdk::session_options& o, const char* key) {
    const std::string value = *o.string(key);
    sdk::check_not_empty(key, value);
    std::error_code ec;
    const auto abs = std::filesystem::absolute(value, ec);
    if (ec)
        invalid("option '" + std::string(key) + "': cannot resolve " + sdk::quoted_value(value) +
                ": " + ec.message());
    return abs.lexically_normal().string();
}

// Splits "A|B" and checks every token against the allowed names.
std::string checked_list(std::string_view key, const std::string& value,
                         std::initializer_list<std::string_view> allowed) {
    std::string names;
    for (const auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
    if (value.empty())
        invalid("option '" + std::string(key) + "' must be an |-separated list of " + names +
                ", got an empty string");
    std::size_t start = 0;
    while (start <= value.size()) {
        std::size_t end = value.find('|', start);
        if (end == std::string::npos) end = value.size();
        const std::string_view token(value.data() + start, end - start);
        bool known = false;
        for (const auto a : allowed) known = known || token == a;
        if (!known)
            invalid("option '" + std::string(key) + "': unknown name " + sdk::quoted_value(token) +
                    " in " + sdk::quoted_value(value, start) +
                    " (expected an |-separated list of " + names + ")");
        start = end + 1;
    }
    return value;
}

void only_in(bool allowed, const sdk::session_options& o, const char* key, const char* where) {
    if (!allowed && o.has(key)) invalid("option '" + std::string(key) + "' " + where);
}

}  // namespace

std::string_view to_string(session_mode mode) noexcept {
    switch (mode) {
        case session_mode::attach:
            return "attach";
        case session_mode::ephemeral:
            return "ephemeral";
        case session_mode::create:
            return "create";
    }
    return "unknown";
}

std::string_view options_schema() {
    static const std::string schema = sdk::console_schema(
        k_runtime_properties,
        {.command_description = "argv to run in the container; default: the user's login shell",
         .env_description = "variables to set in the container (lxc-attach --set-var)"});
    return schema;
}

bool valid_container_name(std::string_view name) noexcept {
    if (name.empty() || name.front() == '-') return false;
    for (const char c : name)
        if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
}

std::string fixed_target(const lxc_options& options) {
    switch (options.mode) {
        case session_mode::attach:
            return options.container;
        case session_mode::create:
            return options.name;
        case session_mode::ephemeral:
            break;
    }
    return {};
}

lxc_options parse_options(std::string_view options_json) {
    // Types and unknown keys, and no NUL in any string (an argv would end at it).
    const sdk::session_options o(options_schema(), options_json);
    lxc_options r;

    // Exactly one way to name the container.
    std::vector<std::string> modes;
    for (const char* key : {"container", "template", "lxc_template"})
        if (o.has(key)) modes.emplace_back(key);
    if (modes.empty()) {
        if (o.has("name"))
            invalid(
                "option 'name' names a container to create and needs 'lxc_template' (e.g. "
                "busybox); to enter an existing container use 'container'");
        invalid(
            "say which container to use: 'container' (enter an existing one), 'template' "
            "(an ephemeral copy of a stopped container) or 'name' with 'lxc_template' "
            "(create one)");
    }
    if (modes.size() > 1)
        invalid("options '" + modes[0] + "' and '" + modes[1] +
                "' exclude each other: give one of 'container', 'template', 'lxc_template'");

    if (o.has("container")) {
        r.mode = session_mode::attach;
        r.container = container_name(o, "container", "the container to enter");
    } else if (o.has("template")) {
        r.mode = session_mode::ephemeral;
        r.template_container = container_name(o, "template", "the container to copy");
    } else {
        r.mode = session_mode::create;
        r.lxc_template = *o.string("lxc_template");
        if (r.lxc_template.empty()) invalid("option 'lxc_template' must not be empty");
        if (!o.has("name"))
            invalid("option 'lxc_template' needs 'name': the name of the container to create");
        r.name = container_name(o, "name", "the name of the container to create");
        r.lxc_template_args = o.strings("lxc_template_args");
    }
    if (o.has("name") && r.mode != session_mode::create)
        invalid("option 'name' names a container to create and goes with 'lxc_template', not '" +
                modes[0] + "'");

    const bool attach = r.mode == session_mode::attach;
    const bool create = r.mode == session_mode::create;
    only_in(create, o, "lxc_template_args", "goes with 'lxc_template' (create mode) only");
    only_in(create, o, "config_file",
            "applies to create mode ('lxc_template') only: lxc-create -f; an attached or copied "
            "container keeps its own configuration");
    only_in(attach, o, "ensure_running",
            "applies to 'container' (attach mode) only: ephemeral and created containers are "
            "started by the session");
    only_in(create, o, "destroy_on_close",
            "applies to create mode ('lxc_template') only: an ephemeral copy is always "
            "destroyed, an existing container never");

    if (o.has("lxcpath")) r.lxcpath = absolute_path(o, "lxcpath");
    if (o.has("config_file")) r.config_file = absolute_path(o, "config_file");

    r.command = o.strings("command");
    r.tty = o.flag("tty");
    r.rows = o.integer_as<std::uint16_t>("rows").value_or(sdk::k_default_rows);
    r.cols = o.integer_as<std::uint16_t>("cols").value_or(sdk::k_default_cols);

    r.env = o.string_map("env");
    sdk::check_names("env", r.env);
    r.clear_env = o.flag("clear_env");
    r.keep_vars = o.strings("keep_vars");
    for (const auto& k : r.keep_vars) sdk::check_name("keep_vars", k);
    if (!r.keep_vars.empty() && !r.clear_env)
        invalid(
            "option 'keep_vars' needs 'clear_env': lxc-attach keeps every variable unless "
            "--clear-env is given");

    r.uid = o.integer_as<std::uint32_t>("uid");
    r.gid = o.integer_as<std::uint32_t>("gid");
    if (o.has("namespaces"))
        r.namespaces =
            checked_list("namespaces", *o.string("namespaces"),
                         {"MOUNT", "PID", "UTSNAME", "IPC", "USER", "NETWORK", "CGROUP"});
    if (o.has("elevated_privileges")) {
        const std::string v = *o.string("elevated_privileges");
        r.elevated_privileges =
            v == "ALL" ? std::string()
                       : checked_list("elevated_privileges", v, {"CAP", "CGROUP", "LSM"});
    }
    r.remount_sys_proc = o.flag("remount_sys_proc");
    if (r.remount_sys_proc && r.namespaces.empty())
        invalid(
            "option 'remount_sys_proc' needs 'namespaces': -R remounts /sys and /proc when "
            "lxc-attach does not enter the mount namespace");

    r.ensure_running = o.flag("ensure_running");
    r.destroy_on_close = o.flag("destroy_on_close");
    if (o.has("stop_timeout")) {
        if (!(r.mode == session_mode::ephemeral || (create && r.destroy_on_close)))
            invalid(
                "option 'stop_timeout' applies only when the session stops the container: "
                "with 'template', or with 'lxc_template' and destroy_on_close=true");
        r.stop_timeout = std::chrono::seconds(*o.integer("stop_timeout"));
    }
    return r;
}

}  // namespace berth::plugins::lxc
