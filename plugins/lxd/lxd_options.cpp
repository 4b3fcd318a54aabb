#include "lxd_options.hpp"

#include <unistd.h>
#include <berth/sdk/option_checks.hpp>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>

namespace berth::plugins::lxd {
namespace {

constexpr std::string_view k_runtime_properties = R"schema({
  "remote":      {"type": "string",
                  "description": "the server: a Unix socket path (unix:/var/lib/lxd/unix.socket) or https://HOST[:PORT] of any cluster member; default $BERTH_LXD_REMOTE, else LXD's local socket"},
  "client_cert": {"type": "string", "description": "https: PEM client certificate the server trusts (lxc config trust add); default $BERTH_LXD_CLIENT_CERT"},
  "client_key":  {"type": "string", "description": "https: PEM key of client_cert; default $BERTH_LXD_CLIENT_KEY"},
  "server_cert": {"type": "string", "description": "https: PEM certificate the server must present (pinned; the cluster's certificate for a cluster); default $BERTH_LXD_SERVER_CERT, else the system's trust store"},
  "project":     {"type": "string", "description": "LXD project; default $BERTH_LXD_PROJECT, else default"},
  "instance":    {"type": "string", "description": "exec mode: a running instance to run the command in"},
  "image":       {"type": "string", "description": "launch mode: an image alias on the server; the instance is deleted when the session ends"},
  "target":      {"type": "string", "description": "launch mode: the cluster member to place the instance on; default $BERTH_LXD_TARGET, else the cluster's choice"},
  "profiles":    {"type": "array", "items": {"type": "string"}, "description": "launch mode: profiles to apply; default [\"default\"]"},
  "config":      {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "launch mode: instance config, e.g. {\"security.privileged\": \"true\"}"},
  "user":        {"type": "integer", "minimum": 0, "maximum": 4294967294, "description": "uid the command runs as"},
  "group":       {"type": "integer", "minimum": 0, "maximum": 4294967294, "description": "gid the command runs as"},
  "cwd":         {"type": "string", "description": "absolute working directory in the instance"},
  "request_timeout_ms": {"type": "integer", "minimum": 100, "maximum": 600000, "description": "bound of each REST call; default 30000"},
  "launch_timeout_ms":  {"type": "integer", "minimum": 1000, "maximum": 3600000, "description": "bound of creating and starting an instance; default 120000"}
})schema";

[[noreturn]] void invalid(const std::string& message) {
    throw sdk::error(BERTH_ERR_INVALID_ARGUMENT, message);
}

std::string env_or(std::string_view name, std::string fallback = {}) {
    const char* v = std::getenv(std::string(name).c_str());
    return v == nullptr || *v == '\0' ? std::move(fallback) : std::string(v);
}

// A PEM file berth can read now, made absolute; `source` names the option or variable.
std::string readable_file(const std::string& source, const std::string& value) {
    if (value.empty()) invalid(source_label(source) + " must not be empty");
    std::error_code ec;
    const auto path = std::filesystem::absolute(value, ec).lexically_normal();
    errno = 0;
    if (ec || ::access(path.c_str(), R_OK) != 0)
        invalid(source_label(source) + ": cannot read " + sdk::quoted_value(value) +
                (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string()));
    return path.string();
}

// Where a local LXD (or Incus) listens when nothing says otherwise.
std::string local_socket() {
    if (const std::string dir = env_or("LXD_DIR"); !dir.empty()) return dir + "/unix.socket";
    for (const char* p : {"/var/lib/lxd/unix.socket", "/var/snap/lxd/common/lxd/unix.socket",
                          "/var/lib/incus/unix.socket"}) {
        std::error_code ec;
        if (std::filesystem::exists(p, ec)) return p;
    }
    return "/var/lib/lxd/unix.socket";
}

// "unix:/path", "/path" or "https://host[:port]" into the endpoint.
void parse_remote(endpoint& e, const std::string& source, const std::string& value) {
    e.remote_source = source;
    const auto bad = [&](const std::string& why) {
        invalid("option '" + source + "' must be a Unix socket path or https://HOST[:PORT], got " +
                sdk::quoted_value(value) + (why.empty() ? "" : ": " + why));
    };
    if (value.starts_with("unix:") || value.starts_with("/")) {
        e.socket = value.starts_with("unix:") ? value.substr(5) : value;
        if (!e.socket.starts_with("/")) bad("the socket path must be absolute");
        return;
    }
    if (!value.starts_with("https://")) bad("");
    std::string rest = value.substr(8);
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
        if (rest.substr(slash) != "/") bad("no path may follow the address");
        rest.resize(slash);
    }
    if (rest.starts_with("[")) {  // [IPv6]:port
        const auto close = rest.find(']');
        if (close == std::string::npos) bad("an IPv6 address needs its closing ']'");
        e.host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(":")) bad("");
        if (!rest.empty()) e.port = rest.substr(1);
    } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
        e.host = rest.substr(0, colon);
        e.port = rest.substr(colon + 1);
    } else {
        e.host = rest;
    }
    if (e.host.empty()) bad("the host is missing");
    if (e.port.empty() || e.port.find_first_not_of("0123456789") != std::string::npos ||
        e.port.size() > 5 || std::stoi(e.port) < 1 || std::stoi(e.port) > 65535)
        bad("the port must be a number from 1 to 65535");
}

// The remote and its certificates: options first, then the environment, then the local socket.
endpoint parse_endpoint(const sdk::session_options* o) {
    endpoint e;
    const auto pick = [&](const char* key,
                          std::string_view var) -> std::pair<std::string, std::string> {
        if (o != nullptr && o->has(key)) return {key, *o->string(key)};
        if (std::string v = env_or(var); !v.empty()) return {std::string(var), std::move(v)};
        return {};
    };
    const auto [remote_source, remote] = pick("remote", k_env_remote);
    if (remote.empty())
        parse_remote(e, "remote", "unix:" + local_socket());
    else
        parse_remote(e, remote_source, remote);
    const auto cert = pick("client_cert", k_env_client_cert);
    const auto key = pick("client_key", k_env_client_key);
    const auto server = pick("server_cert", k_env_server_cert);
    if (!e.https()) {
        for (const auto* given : {&cert, &key, &server})
            if (o != nullptr && o->has(given->first))
                invalid("option '" + given->first + "' applies to an https remote only; '" +
                        e.remote_source + "' is the Unix socket " + e.socket);
        return e;
    }
    if (cert.second.empty() || key.second.empty())
        invalid("option '" + e.remote_source + "' is an HTTPS server (" + e.describe() +
                "): give 'client_cert' and 'client_key', a certificate the server trusts (lxc "
                "config trust add)");
    e.client_cert = readable_file(cert.first, cert.second);
    e.client_key = readable_file(key.first, key.second);
    e.cert_source = cert.first;
    e.key_source = key.first;
    if (!server.second.empty()) {
        e.server_cert = readable_file(server.first, server.second);
        e.server_source = server.first;
    }
    return e;
}

void instance_name(const std::string& key, const std::string& value) {
    if (!valid_instance_name(value))
        invalid("option '" + key +
                "' must be an instance name (1 to 63 letters, digits and '-', "
                "starting with a letter, not ending with '-'), got " +
                sdk::quoted_value(value));
}

void only_in_launch(const sdk::session_options& o, const char* key) {
    if (o.has(key))
        invalid("option '" + std::string(key) +
                "' applies to launch mode ('image') only: an existing instance keeps its own");
}

}  // namespace

std::string_view options_schema() {
    static const std::string schema = sdk::console_schema(
        k_runtime_properties,
        {.command_description = "argv to run in the instance; default [\"/bin/sh\"]",
         .env_description = "variables to set for the command"});
    return schema;
}

bool valid_instance_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 63 || name.back() == '-') return false;
    if (!((name.front() >= 'a' && name.front() <= 'z') ||
          (name.front() >= 'A' && name.front() <= 'Z')))
        return false;
    for (const char c : name) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) return false;
    }
    return true;
}

endpoint default_endpoint() { return parse_endpoint(nullptr); }

std::string default_project() { return env_or(k_env_project, "default"); }

std::string default_target() { return env_or(k_env_target); }

lxd_options parse_options(std::string_view options_json) {
    const sdk::session_options o(options_schema(), options_json);
    lxd_options r;
    r.remote = parse_endpoint(&o);
    r.project = o.has("project") ? *o.string("project") : default_project();
    if (r.project.empty()) invalid("option 'project' must not be empty");

    if (o.has("instance") == o.has("image"))
        invalid(o.has("instance")
                    ? "options 'instance' and 'image' exclude each other: enter an existing "
                      "instance, or launch one from an image"
                    : "say where the command runs: 'instance' (an existing, running instance) "
                      "or 'image' (a new instance, deleted at the end)");
    if (o.has("instance")) {
        r.mode = session_mode::exec;
        r.instance = *o.string("instance");
        instance_name("instance", r.instance);
        for (const char* key : {"target", "profiles", "config"}) only_in_launch(o, key);
    } else {
        r.mode = session_mode::launch;
        r.image = *o.string("image");
        sdk::check_not_empty("image", r.image);
        if (o.has("target")) {
            r.target = *o.string("target");
            sdk::check_not_empty("target", r.target);
        } else if (r.target = default_target(); !r.target.empty()) {
            r.target_source = std::string(k_env_target);
        }
        if (o.has("profiles")) r.profiles = o.strings("profiles");
        r.config = o.string_map("config");
        for (const auto& [k, v] : r.config)
            if (k.starts_with("user.berth."))
                invalid("option 'config' sets \"" + k +
                        "\", which is reserved: berth marks the instances it launches with "
                        "user.berth.*");
    }

    r.command = o.strings("command");
    r.tty = o.flag("tty");
    r.rows = o.integer_as<std::uint16_t>("rows").value_or(sdk::k_default_rows);
    r.cols = o.integer_as<std::uint16_t>("cols").value_or(sdk::k_default_cols);
    r.env = o.string_map("env");
    sdk::check_names("env", r.env);
    r.user = o.integer_as<std::uint32_t>("user");
    r.group = o.integer_as<std::uint32_t>("group");
    if (o.has("cwd")) {
        r.cwd = *o.string("cwd");
        sdk::check_absolute_path("cwd", r.cwd, "in the instance");
    }
    if (const auto t = o.integer("request_timeout_ms"))
        r.request_timeout = std::chrono::milliseconds(*t);
    if (const auto t = o.integer("launch_timeout_ms"))
        r.launch_timeout = std::chrono::milliseconds(*t);
    return r;
}

}  // namespace berth::plugins::lxd
