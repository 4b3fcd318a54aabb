#include "containerd_options.hpp"

#include <berth/sdk/option_checks.hpp>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace berth::plugins::containerd {
namespace {

// The runtime's own options; sdk::console_schema adds command, tty, rows, cols and env.
constexpr std::string_view k_runtime_properties = R"schema({
    "image":     {"type": "string",
                  "description": "run mode: start a new container from this image (already in the namespace: ctr never pulls here); it is removed when the session ends"},
    "container": {"type": "string",
                  "description": "exec mode: run the command in this running container (ctr task exec)"},
    "workdir":   {"type": "string", "description": "working directory of the command (--cwd)"},
    "user":      {"type": "string", "description": "user name or uid[:gid] to run the command as (--user)"},
    "address":   {"type": "string",
                  "description": "containerd socket; default $CONTAINERD_ADDRESS, else /run/containerd/containerd.sock"},
    "namespace": {"type": "string",
                  "description": "containerd namespace; default $CONTAINERD_NAMESPACE, else default"},
    "connect_timeout": {"type": "string",
                  "description": "how long ctr waits for the daemon, e.g. 2s or 500ms (default 2s)"},
    "ctr_path":  {"type": "string", "description": "the ctr binary (default: ctr from PATH)"},
    "name":      {"type": "string",
                  "description": "run mode: the container id (default berth-<random>)"},
    "init":      {"type": "array", "items": {"type": "string"}, "minItems": 1,
                  "description": "run mode: the container's long-lived first process, which the command joins (default sleep 2147483647)"},
    "labels":    {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "run mode: container labels (--label)"},
    "mounts":    {"type": "array", "items": {"type": "string"},
                  "description": "run mode: ctr mount specs, e.g. type=bind,src=/data,dst=/data,options=rbind:ro"},
    "net_host":  {"type": "boolean", "description": "run mode: use the host's network (--net-host)"},
    "privileged": {"type": "boolean", "description": "run mode: privileged container"},
    "read_only": {"type": "boolean", "description": "run mode: read-only root file system"},
    "memory_limit": {"type": "string",
                  "description": "run mode: memory limit, bytes or with a unit b/k/m/g/t, e.g. 512m"},
    "cpus":      {"type": "number", "description": "run mode: CPU quota in CPUs, e.g. 0.5"},
    "runtime":   {"type": "string",
                  "description": "run mode: containerd runtime (default io.containerd.runc.v2)"},
    "snapshotter": {"type": "string",
                  "description": "run mode: snapshotter; default $CONTAINERD_SNAPSHOTTER, else overlayfs"},
    "fifo_dir":  {"type": "string",
                  "description": "folder in which each session makes (and removes) its folder of ctr I/O FIFOs; default the temporary folder"}
})schema";

// Options that shape the container, so they mean nothing when entering an existing one.
constexpr std::string_view k_run_only[] = {"name",         "init",     "env",        "labels",
                                           "mounts",       "net_host", "privileged", "read_only",
                                           "memory_limit", "cpus",     "runtime",    "snapshotter"};

[[noreturn]] void invalid(const std::string& message) {
    throw sdk::error(BERTH_ERR_INVALID_ARGUMENT, message);
}

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v == nullptr || *v == '\0' ? std::move(fallback) : std::string(v);
}

// The shortest text that reads back as v ("0.5", "5000").
std::string number_text(double v) {
    std::array<char, 32> text{};
    const auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc() ? std::string(text.data(), end) : std::string("?");
}

void check_identifier(std::string_view option, const std::string& value) {
    if (!is_identifier(value))
        invalid("option '" + std::string(option) + "' must be a containerd identifier (letters, " +
                "digits and single . _ - between them, at most 76 characters), got " +
                sdk::quoted_value(value));
}

// A ctr --mount spec: comma-separated key=value fields that ctr knows, with an absolute
// destination. ctr itself reports a bad one only after it has created the container.
void check_mount(std::size_t index, const std::string& spec) {
    const std::string where = "option 'mounts[" + std::to_string(index) + "]'";
    bool has_type = false;
    bool has_destination = false;
    std::size_t start = 0;
    while (start <= spec.size()) {
        std::size_t end = spec.find(',', start);
        if (end == std::string::npos) end = spec.size();
        const std::string_view field(spec.data() + start, end - start);
        const std::size_t eq = field.find('=');
        if (eq == std::string_view::npos || eq == 0 || field.find('=', eq + 1) != field.npos)
            invalid(where + " must be key=value fields separated by commas (e.g. " +
                    "type=bind,src=/data,dst=/data,options=rbind:ro), got " +
                    sdk::quoted_value(spec));
        const std::string_view key = field.substr(0, eq);
        const std::string_view value = field.substr(eq + 1);
        if (key == "type") {
            has_type = !value.empty();
        } else if (key == "destination" || key == "dst") {
            if (value.empty() || value.front() != '/')
                invalid(where + " needs an absolute destination path, got " +
                        sdk::quoted_value(spec));
            has_destination = true;
        } else if (key != "source" && key != "src" && key != "options") {
            invalid(where + " has the unknown field '" + std::string(key) +
                    "' (ctr knows type, src/source, dst/destination, options), got " +
                    sdk::quoted_value(spec));
        }
        start = end + 1;
    }
    if (!has_type)
        invalid(where + " needs a type (e.g. type=bind), got " + sdk::quoted_value(spec));
    if (!has_destination) invalid(where + " needs dst=/path, got " + sdk::quoted_value(spec));
}

}  // namespace

environment_defaults environment_defaults::from_environment() {
    environment_defaults d;
    d.address = env_or("CONTAINERD_ADDRESS", d.address);
    d.ns = env_or("CONTAINERD_NAMESPACE", d.ns);
    d.snapshotter = env_or("CONTAINERD_SNAPSHOTTER", "");
    return d;
}

connection environment_defaults::conn() const {
    connection c;
    c.address = address;
    c.ns = ns;
    return c;
}

std::string_view options_schema() {
    static const std::string schema = sdk::console_schema(
        k_runtime_properties,
        {.command_required = true,
         .command_description = "argv to run in the container; no shell unless you name one",
         .env_description = "run mode: environment variables of the container (ctr task exec "
                            "cannot set any)"});
    return schema;
}

bool is_identifier(std::string_view text) noexcept {
    if (text.empty() || text.size() > 76) return false;
    const auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    bool after_separator = true;  // the first character must be alphanumeric too
    for (const char c : text) {
        if (alnum(c)) {
            after_separator = false;
        } else if (c == '.' || c == '_' || c == '-') {
            if (after_separator) return false;
            after_separator = true;
        } else {
            return false;
        }
    }
    return !after_separator;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data() || !std::isfinite(value) || value <= 0)
        return std::nullopt;
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    double ms = 0;
    if (unit == "ms") {
        ms = value;
    } else if (unit == "s") {
        ms = value * 1000;
    } else if (unit == "m") {
        ms = value * 60'000;
    } else {
        return std::nullopt;
    }
    if (ms < 1 || ms > 3'600'000) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    std::string unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    for (char& c : unit) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    int shift = 0;
    if (unit.empty() || unit == "b") {
        shift = 0;
    } else if (unit == "k" || unit == "kb" || unit == "kib") {
        shift = 10;
    } else if (unit == "m" || unit == "mb" || unit == "mib") {
        shift = 20;
    } else if (unit == "g" || unit == "gb" || unit == "gib") {
        shift = 30;
    } else if (unit == "t" || unit == "tb" || unit == "tib") {
        shift = 40;
    } else {
        return std::nullopt;
    }
    if (value > (UINT64_MAX >> shift)) return std::nullopt;
    return value << shift;
}

session_config read_options(std::string_view options_json, const environment_defaults& defaults) {
    const sdk::session_options options(options_schema(), options_json);  // as the host does
    session_config c;

    c.conn.ctr = options.string("ctr_path").value_or("ctr");
    sdk::check_not_empty("ctr_path", c.conn.ctr);
    c.conn.address = options.string("address").value_or(defaults.address);
    sdk::check_not_empty("address", c.conn.address);
    c.conn.ns = options.string("namespace").value_or(defaults.ns);
    check_identifier("namespace", c.conn.ns);
    if (auto t = options.string("connect_timeout")) {
        const auto parsed = parse_duration(*t);
        if (!parsed)
            invalid(
                "option 'connect_timeout' must be a duration between 1ms and 1h such as "
                "\"2s\" or \"500ms\" (units ms, s, m), got " +
                sdk::quoted_value(*t));
        c.conn.connect_timeout = *parsed;
    }

    c.image = options.string("image");
    c.container = options.string("container");
    if (c.image && c.container)
        invalid(
            "options 'image' and 'container' exclude each other: give 'image' to run a new "
            "container, or 'container' to enter a running one");
    if (!c.image && !c.container)
        invalid(
            "missing option 'image' or 'container': give 'image' to run a new container, "
            "or 'container' to enter a running one");
    if (c.image) {
        sdk::check_not_empty("image", *c.image);
        sdk::check_not_flag("image", *c.image, "ctr");
    } else {
        check_identifier("container", *c.container);
        for (const std::string_view key : k_run_only) {
            if (!options.has(key)) continue;
            if (key == "env")
                invalid(
                    "option 'env' needs 'image': ctr task exec cannot set environment "
                    "variables, a process in an existing container gets the container's");
            invalid("option '" + std::string(key) + "' needs 'image': it shapes a new " +
                    "container, and 'container' enters one that already runs");
        }
    }

    c.command = options.strings("command");
    sdk::check_not_empty("command[0]", c.command.front());
    c.tty = options.flag("tty");
    c.rows = options.integer_as<std::uint16_t>("rows").value_or(sdk::k_default_rows);
    c.cols = options.integer_as<std::uint16_t>("cols").value_or(sdk::k_default_cols);
    c.workdir = options.string("workdir").value_or("");
    if (options.has("workdir")) sdk::check_absolute_path("workdir", c.workdir, "in the container");
    c.user = options.string("user").value_or("");
    if (options.has("user")) sdk::check_not_empty("user", c.user);

    c.name = options.string("name").value_or("");
    if (options.has("name")) check_identifier("name", c.name);
    if (options.has("init")) {
        c.init = options.strings("init");
        sdk::check_not_empty("init[0]", c.init.front());
    }
    c.env = options.string_map("env");
    sdk::check_names("env", c.env);
    c.labels = options.string_map("labels");
    sdk::check_labels("labels", c.labels, std::array{k_plugin_label});
    c.mounts = options.strings("mounts");
    for (std::size_t i = 0; i < c.mounts.size(); ++i) check_mount(i, c.mounts[i]);
    c.net_host = options.flag("net_host");
    c.privileged = options.flag("privileged");
    c.read_only = options.flag("read_only");
    if (auto m = options.string("memory_limit")) {
        c.memory_limit = parse_size(*m);
        if (!c.memory_limit || *c.memory_limit == 0)
            invalid(
                "option 'memory_limit' must be a size in bytes, optionally with a unit b, k, "
                "m, g or t (e.g. \"512m\"), got " +
                sdk::quoted_value(*m));
    }
    c.cpus = options.number("cpus");
    if (c.cpus && (!(*c.cpus > 0) || *c.cpus > 4096))
        invalid("option 'cpus' must be a number of CPUs above 0 (e.g. 0.5), got " +
                number_text(*c.cpus));
    c.runtime = options.string("runtime").value_or("");
    if (options.has("runtime")) sdk::check_not_empty("runtime", c.runtime);
    c.snapshotter = options.string("snapshotter").value_or(defaults.snapshotter);
    if (options.has("snapshotter")) sdk::check_not_empty("snapshotter", c.snapshotter);
    c.fifo_dir = options.string("fifo_dir").value_or("");
    if (options.has("fifo_dir")) sdk::check_absolute_path("fifo_dir", c.fifo_dir);
    return c;
}

}  // namespace berth::plugins::containerd
