// berth: open console sessions inside containers through runtime plugins.
#include <berth/plugin.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"

namespace {

bool set_log_level(const std::string& name) {
    const auto level = spdlog::level::from_str(name);
    // from_str maps anything unknown to "off"; only accept "off" when it was asked for.
    if (level == spdlog::level::off && name != "off") return false;
    spdlog::set_level(level);
    return true;
}

berth::cli::output_format parse_format(const std::string& f) {
    return f == "json" ? berth::cli::output_format::json : berth::cli::output_format::table;
}

int real_main(int argc, char** argv) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("berth"));
    spdlog::set_pattern("berth: %^%l%$: [%n] %v");
    spdlog::set_level(spdlog::level::warn);
    if (const char* env = std::getenv("BERTH_LOG_LEVEL"); env != nullptr && !set_log_level(env))
        spdlog::warn("BERTH_LOG_LEVEL='{}' is not a level (trace, debug, info, warn, error, "
                     "critical, off); using warn", env);

    CLI::App app{"berth: interactive console sessions inside containers"};
    app.require_subcommand(1);
    app.set_version_flag("--version",
                         std::string("berth ") + BERTH_VERSION + " (plugin ABI " +
                             std::to_string(BERTH_ABI_VERSION_MAJOR) + "." +
                             std::to_string(BERTH_ABI_VERSION_MINOR) + ")");
    std::string log_level;
    app.add_option("--log-level", log_level, "trace|debug|info|warn|error|critical|off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

    std::string format = "table";
    const auto add_format = [&format](CLI::App* cmd) {
        cmd->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
    };

    auto* plugin_cmd = app.add_subcommand("plugin", "List and inspect plugins");
    plugin_cmd->require_subcommand(1);
    auto* plugin_ls_cmd = plugin_cmd->add_subcommand("ls", "List plugins, loaded and rejected");
    add_format(plugin_ls_cmd);
    auto* plugin_info_cmd = plugin_cmd->add_subcommand("info", "Show one plugin and its options");
    std::string plugin_name;
    plugin_info_cmd->add_option("NAME", plugin_name, "runtime id, plugin name or file")->required();
    add_format(plugin_info_cmd);

    auto* health_cmd = app.add_subcommand("health", "Check every runtime's health");
    std::optional<std::string> health_runtime;
    health_cmd->add_option("RUNTIME", health_runtime, "check only this runtime");
    add_format(health_cmd);

    berth::cli::run_request req;
    auto* run_cmd = app.add_subcommand("run", "Run one session and exit with its status");
    run_cmd->add_option("RUNTIME", req.runtime, "runtime id, e.g. local, podman")->required();
    run_cmd->add_option("--image", req.image, "image for a new container");
    run_cmd->add_option("--container", req.container, "existing container to enter");
    run_cmd->add_flag("-t,--tty", req.tty, "run on a pseudo-terminal");
    run_cmd->add_option("-e,--env", req.env, "KEY=VALUE environment variable (repeatable)");
    run_cmd->add_option("-w,--workdir", req.workdir, "working directory");
    run_cmd->add_option("-u,--user", req.user, "user to run as");
    run_cmd->add_option("--opt", req.opts, "KEY=VALUE plugin option, typed by its schema (repeatable)");
    run_cmd->add_option("--options-json", req.options_json, "all options as one JSON object");
    run_cmd->add_option("--grace-ms", req.grace_ms, "grace period before SIGKILL when closing");
    run_cmd->add_option("COMMAND", req.command, "command and arguments, after --");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        (void)app.exit(e);
        return berth::cli::k_exit_usage;  // not CLI11's own 100+ codes
    }
    if (!log_level.empty()) set_log_level(log_level);

    berth::host::host host;
    if (plugin_ls_cmd->parsed()) return berth::cli::plugin_ls(host, parse_format(format));
    if (plugin_info_cmd->parsed())
        return berth::cli::plugin_info(host, plugin_name, parse_format(format));
    if (health_cmd->parsed()) return berth::cli::health(host, health_runtime, parse_format(format));
    if (run_cmd->parsed()) return berth::cli::run(host, std::move(req));
    return berth::cli::k_exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return real_main(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "berth: internal error: " << e.what() << "\n";
        return 70;  // EX_SOFTWARE
    }
}
