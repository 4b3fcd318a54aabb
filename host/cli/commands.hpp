// The berth CLI's commands. Each returns the process exit status; user-facing output goes to
// stdout, diagnostics to stderr.
#pragma once

#include <berth/plugin.h>
#include <berth/host/host.hpp>

#include <optional>
#include <string>
#include <vector>

namespace berth::cli {

enum class output_format { table, json };

// Exit statuses shared by every command.
constexpr int k_exit_usage = 2;              // bad command line or options
constexpr int k_exit_runtime_failure = 125;  // the session could not run (like podman/docker)
constexpr int k_exit_not_executable = 126;
constexpr int k_exit_not_found = 127;

int plugin_ls(const host::host& h, output_format format);
int plugin_info(const host::host& h, const std::string& name, output_format format);
int health(host::host& h, const std::optional<std::string>& runtime, output_format format);

// `berth plugin validate FILE`: exit 0 when every check passes, 1 when one fails,
// k_exit_usage for bad options, k_exit_runtime_failure when the checks cannot run at all.
struct validate_request {
    std::string file;
    std::optional<std::string> options_json;
    unsigned timeout_ms = BERTH_HEALTH_BOUND_MS;
};
int plugin_validate(const validate_request& request, output_format format);

struct run_request {
    std::string runtime;
    std::optional<std::string> image;
    std::optional<std::string> container;
    bool tty = false;
    std::vector<std::string> env;  // KEY=VALUE
    std::optional<std::string> workdir;
    std::optional<std::string> user;
    std::vector<std::string> opts;  // KEY=VALUE, typed by the plugin's schema
    std::optional<std::string> options_json;
    std::vector<std::string> command;
    // `berth run`: when berth ends the session early (SIGINT, SIGTERM or SIGHUP to berth), how
    // long its command has between SIGTERM and SIGKILL.
    unsigned grace_ms = BERTH_DEFAULT_GRACE_MS;
};

// The session options for a request, as JSON text, typed by the plugin's schema.
[[nodiscard]] host::result<std::string> build_options_json(const run_request& request,
                                                           const std::string& schema_json);

int run(host::host& h, run_request request);

// Maps a host error to the CLI's exit status.
[[nodiscard]] int exit_status_for(const host::error& e);

}  // namespace berth::cli
