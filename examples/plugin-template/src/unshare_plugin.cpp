// berth-unshare: a small runtime plugin, and the template to start a new one from.
//
// It runs the session's command in new Linux namespaces through util-linux's `unshare`, a real
// isolation runtime every Linux machine has: `unshare --uts --ipc --net -- COMMAND...`. unshare
// execs the command itself (no --fork), so the command is the session's process: signals,
// exit codes and the terminal reach it directly, and the SDK's session lifecycle
// (berth/sdk/runtime_session.hpp) does closing, signals and exit delivery with its defaults.
//
// To write a plugin for another runtime, keep the shape and change three things:
//   1. k_properties: the runtime's own options (the SDK adds command, tty, rows, cols, env);
//   2. unshare_driver::prepare(): the runtime CLI's argv for one session, and what the
//      session runs in (target); add classify/clean_up/signal overrides when the runtime
//      creates things that must be removed or reached another way (runtime_session.hpp);
//   3. health(): ask the runtime whether it can work, in a bounded time, and say what to do.
#include <berth/sdk/version.h>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/run_command.hpp>
#include <berth/sdk/runtime_session.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace example::unshare {
namespace sdk = berth::sdk;

constexpr std::string_view k_install_hint = "install util-linux (it provides unshare)";

// The runtime's own options, as JSON Schema properties.
constexpr std::string_view k_properties = R"json({
  "namespaces": {"type": "array", "uniqueItems": true,
                 "items": {"enum": ["mount", "uts", "ipc", "net", "user", "cgroup"]},
                 "description": "namespaces to unshare (default: uts, ipc, net)"},
  "root":    {"type": "string", "description": "directory to use as the root (a root file system)"},
  "workdir": {"type": "string", "description": "working directory, inside root when given"}
})json";

const std::string& schema() {
    static const std::string s = sdk::console_schema(
        k_properties, {.command_required = true,
                       .command_description = "argv to run in the new namespaces; no shell"});
    return s;
}

// What one session asks unshare for.
struct session_config {
    std::vector<std::string> namespaces{"uts", "ipc", "net"};
    std::string root;
    std::string workdir;
    sdk::process_spec process;  // command, tty, size, environment
};

std::vector<std::string> unshare_argv(const session_config& c) {
    std::vector<std::string> argv{"unshare"};
    for (const auto& ns : c.namespaces) {
        argv.push_back("--" + ns);
        // Without root, a user namespace maps the caller to root in it, which the other
        // namespaces need.
        if (ns == "user") argv.emplace_back("--map-root-user");
    }
    if (!c.root.empty()) argv.push_back("--root=" + c.root);
    if (!c.workdir.empty()) argv.push_back("--wd=" + c.workdir);
    argv.emplace_back("--");
    argv.insert(argv.end(), c.process.argv.begin(), c.process.argv.end());
    return argv;
}

class unshare_driver final : public sdk::session_driver {
public:
    explicit unshare_driver(session_config config) : config_(std::move(config)) {}

    sdk::session_plan prepare() override {
        sdk::session_plan plan{config_.process};
        plan.process.argv = unshare_argv(config_);
        plan.target = config_.root.empty() ? "namespaces" : config_.root;
        plan.install_hint = std::string(k_install_hint);
        plan.end_blocks = false;  // nothing to remove: the namespaces end with the process
        return plan;
    }

    // unshare's own failures (a namespace it may not create, a missing root) end the session
    // before the command runs, with "unshare: ..." as the first words on stderr: that line is
    // the reason. (A command that itself begins its output so and fails is taken for unshare:
    // a runtime whose CLI exits with a code of its own, as podman's 125, can tell them apart.)
    sdk::exit_status classify(const sdk::runtime_end& end) override {
        sdk::exit_status status = end.process;
        if (status.exit_code > 0 && end.head.starts_with("unshare: ")) {
            status.failed = true;
            status.reason = end.head.substr(0, end.head.find('\n'));
        }
        return status;
    }

private:
    session_config config_;
};

class unshare_plugin final : public sdk::plugin {
public:
    static constexpr sdk::plugin_info k_info{
        "berth-unshare", "unshare", BERTH_SDK_VERSION_STRING,
        "Runs the command in new Linux namespaces with util-linux's unshare", 0};

    explicit unshare_plugin(sdk::host_services host) : sessions_(std::move(host)) {}

    sdk::health_report health() override {
        sdk::health_report report;
        try {
            const auto version =
                sdk::run_tool({"unshare", "--version"}, std::chrono::seconds(5), k_install_hint);
            if (!version.ok()) {
                report.state = BERTH_HEALTH_UNHEALTHY;
                report.detail = "unshare --version: " + version.message();
                return report;
            }
            report.attributes.emplace_back("version",
                                           version.out.substr(0, version.out.find('\n')));
            // Can this user create the default namespaces? A user without the privilege is told
            // what to do, not just that it failed.
            const auto probe = sdk::run_tool({"unshare", "--uts", "--ipc", "--net", "true"},
                                             std::chrono::seconds(5), k_install_hint);
            report.state = probe.ok() ? BERTH_HEALTH_HEALTHY : BERTH_HEALTH_UNHEALTHY;
            report.detail = probe.ok() ? "can create uts, ipc and net namespaces"
                                       : probe.message() +
                                             " (run as root, or add \"user\" to option "
                                             "'namespaces')";
        } catch (const sdk::error& e) {
            report.state = e.status() == BERTH_ERR_UNAVAILABLE ? BERTH_HEALTH_UNDETECTED
                                                               : BERTH_HEALTH_UNHEALTHY;
            report.detail = e.what();
        }
        return report;
    }

    std::string_view options_schema() override { return schema(); }

    std::unique_ptr<sdk::runtime_session> open(std::string_view options_json,
                                               sdk::session_sink sink) {
        const sdk::session_options options(schema(), options_json);
        session_config config;
        if (options.has("namespaces")) config.namespaces = options.strings("namespaces");
        config.root = options.string("root").value_or("");
        config.workdir = options.string("workdir").value_or("");
        config.process.argv = options.strings("command");
        config.process.tty = options.flag("tty");
        config.process.env = options.string_map("env");
        config.process.rows =
            options.integer_as<std::uint16_t>("rows").value_or(sdk::k_default_rows);
        config.process.cols =
            options.integer_as<std::uint16_t>("cols").value_or(sdk::k_default_cols);
        return sessions_.open(std::make_unique<unshare_driver>(std::move(config)), sink);
    }

private:
    sdk::session_runtime sessions_;  // last: its threads stop first
};

}  // namespace example::unshare

BERTH_PLUGIN(example::unshare::unshare_plugin)
