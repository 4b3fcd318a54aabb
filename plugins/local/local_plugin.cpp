// The `local` plugin: runs the command on the host, with pipes or on a terminal.
//
// It is the worked example of a berth plugin (docs/abi.md walks through it): options are read
// through the SDK's session_options and turned into a process_spec; the SDK's session lifecycle
// (runtime_session.hpp) does the rest with its default driver hooks. A container runtime
// plugin's driver adds a runtime CLI's argv, how to reach the command with a signal, how to
// read the runtime's exit and what to remove afterwards.
#include <sys/utsname.h>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/run_command.hpp>
#include <berth/sdk/runtime_session.hpp>

#ifndef BERTH_LOCAL_RUNTIME_ID  // tests build a second copy under another id
#define BERTH_LOCAL_RUNTIME_ID "local"
#define BERTH_LOCAL_PLUGIN_NAME "berth-local"
#endif

namespace berth::plugins::local {
namespace {

constexpr std::string_view k_schema = R"schema({
  "type": "object",
  "additionalProperties": false,
  "required": ["command"],
  "properties": {
    "command":   {"type": "array", "items": {"type": "string"}, "minItems": 1,
                  "description": "argv to run; argv[0] is looked up in PATH, no shell"},
    "tty":       {"type": "boolean", "description": "run on a pseudo-terminal"},
    "env":       {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "environment variables to set"},
    "clear_env": {"type": "boolean", "description": "start from an empty environment"},
    "workdir":   {"type": "string", "description": "working directory"},
    "rows":      {"type": "integer", "minimum": 1, "maximum": 65535,
                  "description": "initial terminal rows (tty)"},
    "cols":      {"type": "integer", "minimum": 1, "maximum": 65535,
                  "description": "initial terminal columns (tty)"}
  }
})schema";

// The whole of what is specific to running on the host: the options become the process spec.
// Everything else (closing, signals, exit delivery) is the SDK's default.
class local_driver final : public sdk::session_driver {
public:
    explicit local_driver(sdk::process_spec spec) : spec_(std::move(spec)) {}
    sdk::process_spec prepare() override { return spec_; }

private:
    sdk::process_spec spec_;
};

class local_plugin final : public sdk::plugin {
public:
    static constexpr sdk::plugin_info k_info{
        BERTH_LOCAL_PLUGIN_NAME, BERTH_LOCAL_RUNTIME_ID, BERTH_VERSION,
        "Runs the command as a process on the host (no container)",
        0};

    explicit local_plugin(sdk::host_services host) : sessions_(std::move(host)) {}

    sdk::health_report health() override {
        sdk::health_report report;
        struct utsname u {};
        if (::uname(&u) == 0) {
            report.attributes.emplace_back("kernel", u.release);
            report.attributes.emplace_back("machine", u.machine);
        }
        try {
            const auto r = sdk::run_command({"true"}, std::chrono::seconds(5));
            if (r.ok()) {
                report.state = BERTH_HEALTH_HEALTHY;
                report.detail = "can spawn processes";
            } else {
                report.state = BERTH_HEALTH_UNHEALTHY;
                report.detail = "spawning 'true' failed: " + r.message();
            }
        } catch (const std::exception& e) {
            report.state = BERTH_HEALTH_UNHEALTHY;
            report.detail = std::string("cannot spawn processes: ") + e.what();
        }
        return report;
    }

    std::string_view options_schema() override { return k_schema; }

    std::unique_ptr<sdk::runtime_session> open(std::string_view options_json,
                                               sdk::session_sink sink) {
        const sdk::session_options options(k_schema, options_json);
        sdk::process_spec spec;
        spec.argv = options.strings("command");
        spec.tty = options.flag("tty");
        spec.env = options.string_map("env");
        spec.clear_env = options.flag("clear_env");
        spec.working_dir = options.string("workdir").value_or("");
        spec.rows = static_cast<std::uint16_t>(options.integer("rows").value_or(24));
        spec.cols = static_cast<std::uint16_t>(options.integer("cols").value_or(80));
        auto session = sessions_.open(std::make_unique<local_driver>(std::move(spec)), sink);
        sessions_.host().log(BERTH_LOG_DEBUG, "started pid " + std::to_string(session->pid()));
        sessions_.host().add_counter("processes_spawned_total", 1);
        return session;
    }

private:
    sdk::session_runtime sessions_;  // last: its threads stop first
};

}  // namespace
}  // namespace berth::plugins::local

BERTH_PLUGIN(berth::plugins::local::local_plugin)
