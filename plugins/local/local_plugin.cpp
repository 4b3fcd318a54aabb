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

// The options beyond the console ones (command, tty, env, rows, cols) every plugin shares.
constexpr std::string_view k_local_properties = R"({
  "clear_env": {"type": "boolean", "description": "start from an empty environment"},
  "workdir":   {"type": "string", "description": "working directory"}
})";

const std::string& schema() {
    static const std::string s = sdk::console_schema(
        k_local_properties,
        {.command_required = true,
         .command_description = "argv to run; argv[0] is looked up in PATH, no shell"});
    return s;
}

// The whole of what is specific to running on the host: the options become the process spec.
// Everything else (closing, signals, exit delivery) is the SDK's default.
class local_driver final : public sdk::session_driver {
public:
    explicit local_driver(sdk::process_spec spec) : spec_(std::move(spec)) {}
    sdk::session_plan prepare() override {
        sdk::session_plan plan{spec_};  // no target, no tool: the argv is the user's command
        plan.end_blocks = false;        // the default classify: the exit as the process gave it
        return plan;
    }

private:
    sdk::process_spec spec_;
};

class local_plugin final : public sdk::plugin {
public:
    static constexpr sdk::plugin_info k_info{
        BERTH_LOCAL_PLUGIN_NAME, BERTH_LOCAL_RUNTIME_ID, BERTH_VERSION,
        "Runs the command as a process on the host (no container)", 0};

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

    std::string_view options_schema() override { return schema(); }

    std::unique_ptr<sdk::runtime_session> open(std::string_view options_json,
                                               sdk::session_sink sink) {
        const sdk::session_options options(schema(), options_json);
        sdk::process_spec spec;
        spec.argv = options.strings("command");
        spec.tty = options.flag("tty");
        spec.env = options.string_map("env");
        spec.clear_env = options.flag("clear_env");
        spec.working_dir = options.string("workdir").value_or("");
        spec.rows = options.integer_as<std::uint16_t>("rows").value_or(sdk::k_default_rows);
        spec.cols = options.integer_as<std::uint16_t>("cols").value_or(sdk::k_default_cols);
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
