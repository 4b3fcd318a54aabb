// The podman plugin: console sessions in podman containers, through the real podman CLI.
// Options and their podman flags: podman_options.hpp, podman_argv.hpp; what is podman's own in
// a session's life: podman_session.hpp; exit statuses: podman_exit.hpp.
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/runtime_session.hpp>

#include "podman_health.hpp"
#include "podman_options.hpp"
#include "podman_reclaim.hpp"
#include "podman_session.hpp"

namespace berth::plugins::podman {
namespace {

class podman_plugin final : public sdk::plugin {
public:
    static constexpr sdk::plugin_info k_info{
        "berth-podman", "podman", BERTH_VERSION,
        "Sessions in podman containers: a new one (image) or a running one (container)",
        BERTH_CAP_RUN | BERTH_CAP_EXEC};

    explicit podman_plugin(sdk::host_services host) : sessions_(std::move(host)) {}

    sdk::health_report health() override { return check_health(); }

    std::string_view options_schema() override { return podman::options_schema(); }

    std::unique_ptr<sdk::runtime_session> open(std::string_view options_json,
                                               sdk::session_sink sink) {
        podman_options options = parse_options(options_json);
        const bool run = options.mode == session_mode::run;
        const auto& host = sessions_.host();
        auto session =
            sessions_.open(std::make_unique<podman_session_driver>(host, std::move(options)), sink);
        host.log(BERTH_LOG_DEBUG, std::string("started podman ") + (run ? "run" : "exec") +
                                      ", pid " + std::to_string(session->pid()));
        host.add_counter(run ? "containers_started_total" : "execs_started_total", 1);
        return session;
    }

    // What an earlier life of the host left: containers labelled with its owner, on the
    // default podman (sessions that chose another --url/--connection are not looked for).
    void reclaim_owned(std::uint32_t& removed) {
        podman::reclaim_owned(podman_options{}, sessions_.host().owner(), removed);
    }

private:
    sdk::session_runtime sessions_;  // last: its threads stop first
};

}  // namespace
}  // namespace berth::plugins::podman

BERTH_PLUGIN(berth::plugins::podman::podman_plugin)
