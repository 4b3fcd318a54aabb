// The `local` plugin: runs the command on the host, with pipes or on a terminal.
//
// It is the worked example of a berth plugin (docs/abi.md walks through it): options are read
// through the SDK's session_options, turned into a process_spec, and the SDK's process helper
// does the rest. A container runtime plugin differs only in building a runtime CLI's argv.
#include <sys/utsname.h>
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/options.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>
#include <berth/sdk/run_command.hpp>

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

class local_session final : public sdk::session {
public:
    local_session(sdk::event_loop& loop, sdk::process_spec spec, sdk::session_sink sink) {
        sdk::process_callbacks callbacks;
        callbacks.on_output = [sink](berth_stream stream, std::span<const std::uint8_t> data) {
            sink.output(stream, data);
        };
        callbacks.on_exit = [sink](const sdk::process_exit& e) {
            sdk::exit_status status;
            status.exit_code = e.exit_code;
            status.term_signal = e.term_signal;
            sink.exit(status);
        };
        process_ = sdk::process_session::start(loop, std::move(spec), std::move(callbacks));
    }

    void write(std::span<const std::uint8_t> data) override { process_->write(data); }
    void close_stdin() override { process_->close_stdin(); }
    void resize(std::uint16_t rows, std::uint16_t cols) override { process_->resize(rows, cols); }
    void signal(int signo) override { process_->signal(signo); }
    void close(std::chrono::milliseconds grace) override {
        if (!process_->terminate(grace))
            throw sdk::error(BERTH_ERR_TIMEOUT, "process " + std::to_string(process_->pid()) +
                                                    " did not end even after SIGKILL");
    }
    [[nodiscard]] std::int64_t pid() const override { return process_->pid(); }

private:
    std::unique_ptr<sdk::process_session> process_;
};

class local_plugin final : public sdk::plugin {
public:
    static constexpr sdk::plugin_info k_info{
        BERTH_LOCAL_PLUGIN_NAME, BERTH_LOCAL_RUNTIME_ID, BERTH_VERSION,
        "Runs the command as a process on the host (no container)",
        BERTH_CAP_PIPES | BERTH_CAP_PTY | BERTH_CAP_RESIZE | BERTH_CAP_SIGNAL |
            BERTH_CAP_STDIN_EOF};

    explicit local_plugin(sdk::host_services host) : host_(host) {}

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

    std::unique_ptr<sdk::session> open(std::string_view options_json,
                                       sdk::session_sink sink) override {
        const sdk::session_options options(k_schema, options_json);
        sdk::process_spec spec;
        spec.argv = options.strings("command");
        spec.tty = options.flag("tty");
        spec.env = options.string_map("env");
        spec.clear_env = options.flag("clear_env");
        spec.working_dir = options.string("workdir").value_or("");
        spec.rows = static_cast<std::uint16_t>(options.integer("rows").value_or(24));
        spec.cols = static_cast<std::uint16_t>(options.integer("cols").value_or(80));
        auto session = std::make_unique<local_session>(loop_, std::move(spec), sink);
        host_.log(BERTH_LOG_DEBUG, "started pid " + std::to_string(session->pid()));
        host_.add_counter("processes_spawned_total", 1);
        return session;
    }

private:
    sdk::host_services host_;
    sdk::event_loop loop_;  // sessions are destroyed before the plugin, so before the loop
};

}  // namespace
}  // namespace berth::plugins::local

BERTH_PLUGIN(berth::plugins::local::local_plugin)
