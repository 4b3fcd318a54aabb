// berth: open console sessions inside containers through runtime plugins.
#include <berth/plugin.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"
#include "log_level.hpp"
#include "mcp_command.hpp"
#include "session_commands.hpp"

namespace {

berth::cli::output_format parse_format(const std::string& f) {
    return f == "json" ? berth::cli::output_format::json : berth::cli::output_format::table;
}

int real_main(int argc, char** argv) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("berth"));
    spdlog::set_pattern("berth: %^%l%$: [%n] %v");
    spdlog::set_level(spdlog::level::warn);
    berth::wire::apply_log_level_env();

    CLI::App app{"berth: interactive console sessions inside containers"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("berth ") + BERTH_VERSION + " (plugin ABI " +
                                          std::to_string(BERTH_ABI_VERSION_MAJOR) + "." +
                                          std::to_string(BERTH_ABI_VERSION_MINOR) + ")");
    std::string log_level;
    app.add_option("--log-level", log_level, berth::wire::log_level_choices())
        ->check(CLI::IsMember(berth::wire::log_level_names()));

    std::string format = "table";
    const auto add_format = [&format](CLI::App* cmd) {
        cmd->add_option("--format", format, "table or json")
            ->check(CLI::IsMember({"table", "json"}));
    };

    auto* plugin_cmd = app.add_subcommand("plugin", "List and inspect plugins");
    plugin_cmd->require_subcommand(1);
    auto* plugin_ls_cmd = plugin_cmd->add_subcommand("ls", "List plugins, loaded and rejected");
    add_format(plugin_ls_cmd);
    auto* plugin_info_cmd = plugin_cmd->add_subcommand("info", "Show one plugin and its options");
    std::string plugin_name;
    plugin_info_cmd->add_option("NAME", plugin_name, "runtime id, plugin name or file")->required();
    add_format(plugin_info_cmd);
    berth::cli::validate_request validate_req;
    auto* plugin_validate_cmd = plugin_cmd->add_subcommand(
        "validate",
        "Check a plugin file the way the host would load and use it, in a separate process "
        "(exit 0: every check passed, 1: one failed)");
    plugin_validate_cmd->add_option("FILE", validate_req.file, "the plugin's .so file")->required();
    plugin_validate_cmd->add_option("--options", validate_req.options_json,
                                    "session options (a JSON object) the plugin's schema must "
                                    "accept");
    plugin_validate_cmd
        ->add_option("--timeout-ms", validate_req.timeout_ms,
                     "bound for each step that runs the plugin's code: loading, create(), the "
                     "health check, destroy()")
        ->check(CLI::Range(1U, 3600U * 1000U))
        ->capture_default_str();
    add_format(plugin_validate_cmd);

    auto* health_cmd = app.add_subcommand("health", "Check every runtime's health");
    std::optional<std::string> health_runtime;
    health_cmd->add_option("RUNTIME", health_runtime, "check only this runtime");
    add_format(health_cmd);

    // The session options shared by `run` and `session open`.
    berth::cli::run_request req;
    const auto add_session_options = [&req](CLI::App* cmd) {
        cmd->add_option("RUNTIME", req.runtime, "runtime id, e.g. local, podman")->required();
        cmd->add_option("--image", req.image, "image for a new container");
        cmd->add_option("--container", req.container, "existing container to enter");
        cmd->add_flag("-t,--tty", req.tty, "run on a pseudo-terminal");
        cmd->add_option("-e,--env", req.env, "KEY=VALUE environment variable (repeatable)")
            ->allow_extra_args(false);  // one value per -e: `-e A=1 -- sh -c ...` must work
        cmd->add_option("-w,--workdir", req.workdir, "working directory");
        cmd->add_option("-u,--user", req.user, "user to run as");
        cmd->add_option("--opt", req.opts,
                        "KEY=VALUE plugin option, typed by its schema (repeatable)")
            ->allow_extra_args(false);
        cmd->add_option("--options-json", req.options_json, "all options as one JSON object");
        cmd->add_option("COMMAND", req.command, "command and arguments, after --");
    };
    auto* run_cmd = app.add_subcommand("run", "Run one session and exit with its status");
    add_session_options(run_cmd);
    run_cmd
        ->add_option("--grace-ms", req.grace_ms,
                     "when berth gets SIGINT, SIGTERM or SIGHUP it closes the session: "
                     "milliseconds between SIGTERM and SIGKILL")
        ->capture_default_str();

    // Sessions kept by berthd.
    std::string socket;
    app.add_option("--socket", socket,
                   "berthd's socket (default: $BERTH_SOCKET, then berthd's default)");
    auto* session_cmd =
        app.add_subcommand("session", "Sessions kept by berthd (see berthd --help)");
    session_cmd->require_subcommand(1);
    auto* s_open = session_cmd->add_subcommand("open", "Open a session; prints its id");
    add_session_options(s_open);
    auto* s_ls = session_cmd->add_subcommand("ls", "List sessions");
    add_format(s_ls);
    std::string sid;
    auto* s_show = session_cmd->add_subcommand("show", "Show one session's record");
    s_show->add_option("ID", sid)->required();
    berth::cli::send_request send;
    std::string send_text;
    auto* s_send = session_cmd->add_subcommand("send", "Send input (TEXT + newline, a file, keys)");
    s_send->add_option("ID", send.id)->required();
    s_send->add_option("TEXT", send_text, "text to send; a newline follows unless --no-newline");
    s_send->add_flag("--no-newline", send.no_newline, "do not add a newline after TEXT");
    s_send->add_option("--file", send.file, "send this file's bytes");
    s_send
        ->add_option("--key", send.keys,
                     "a key: ctrl-c, enter, tab, esc, up, down, ... (repeatable)")
        ->allow_extra_args(false);
    std::uint64_t cursor = 0;
    bool follow = false;
    auto* s_read = session_cmd->add_subcommand("read", "Print output from a cursor");
    s_read->add_option("ID", sid)->required();
    s_read->add_option("--cursor", cursor, "absolute byte offset to read from (default 0)");
    s_read->add_flag("-f,--follow", follow, "keep printing new output until the session ends");
    std::string pattern;
    std::uint64_t timeout_ms = 10000;
    auto* s_wait = session_cmd->add_subcommand("wait", "Wait for output matching a pattern (RE2)");
    s_wait->add_option("ID", sid)->required();
    s_wait->add_option("PATTERN", pattern, "RE2 regular expression")->required();
    s_wait->add_option("--timeout", timeout_ms, "milliseconds to wait (default 10000)");
    s_wait->add_option("--cursor", cursor, "search output from this offset (default 0)");
    std::string detach_key = "ctrl-]";
    auto* s_attach = session_cmd->add_subcommand("attach", "Attach this terminal to a session");
    s_attach->add_option("ID", sid)->required();
    s_attach->add_option("--detach-key", detach_key, "key that detaches (default ctrl-])");
    std::uint64_t close_grace = BERTH_DEFAULT_GRACE_MS;
    auto* s_close =
        session_cmd->add_subcommand("close", "End a session (SIGTERM, SIGKILL after grace)");
    s_close->add_option("ID", sid)->required();
    s_close->add_option("--grace-ms", close_grace, "milliseconds between SIGTERM and SIGKILL")
        ->capture_default_str();
    auto* metrics_cmd = app.add_subcommand("metrics", "berthd's metrics (Prometheus text format)");

    berth::cli::mcp_request mcp_req;
    auto* mcp_cmd = app.add_subcommand(
        "mcp",
        "Serve the Model Context Protocol on stdin/stdout, in front of berthd (docs/mcp.md)");
    mcp_cmd->fallthrough();  // `berth mcp --socket S`: --socket is the top-level option
    mcp_cmd->add_option("--policy", mcp_req.policy_file,
                        "JSON file of what agents may do (runtimes, images, containers, "
                        "read_only, limits)");
    mcp_cmd->add_flag("--no-autostart", mcp_req.no_autostart,
                      "fail instead of starting berthd when none answers on the socket");
    mcp_cmd->add_option("--state-dir", mcp_req.state_dir,
                        "an auto-started berthd's state directory (default: berthd's own, or a "
                        "directory per socket under it)");
    mcp_cmd
        ->add_option("--idle-exit", mcp_req.idle_exit_s,
                     "an auto-started berthd exits after this many seconds without sessions "
                     "or clients")
        ->capture_default_str();

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
    if (!log_level.empty()) berth::wire::set_log_level(log_level);

    if (s_open->parsed()) return berth::cli::session_open(socket, req);
    if (s_ls->parsed()) return berth::cli::session_ls(socket, parse_format(format));
    if (s_show->parsed()) return berth::cli::session_show(socket, sid);
    if (s_send->parsed()) {
        if (!send_text.empty() || s_send->count("TEXT") > 0) send.text = send_text;
        return berth::cli::session_send(socket, send);
    }
    if (s_read->parsed()) return berth::cli::session_read(socket, sid, cursor, follow);
    if (s_wait->parsed()) return berth::cli::session_wait(socket, sid, pattern, timeout_ms, cursor);
    if (s_attach->parsed()) return berth::cli::session_attach(socket, sid, detach_key);
    if (s_close->parsed()) return berth::cli::session_close(socket, sid, close_grace);
    if (metrics_cmd->parsed()) return berth::cli::metrics(socket);
    if (mcp_cmd->parsed()) return berth::cli::serve_mcp(socket, mcp_req, BERTH_VERSION);
    // Before a host exists: validate loads one file, in a probe, and nothing else.
    if (plugin_validate_cmd->parsed())
        return berth::cli::plugin_validate(validate_req, parse_format(format));

    // The diagnostic commands probe each plugin in a child process first, so one that crashes
    // while loading is listed as such; `run` skips that cost (it would only crash itself).
    // `run` keeps no output either: its only reader is the observer writing to stdout, and
    // copying every byte into a ring nobody reads cost more than the pipe itself (issue 12).
    const bool running = run_cmd->parsed();
    berth::host::host host(berth::host::host_options{
        .output_buffer_capacity = running ? 0 : berth::registry::output_buffer::k_default_capacity,
        .probe_plugins = !running});
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
