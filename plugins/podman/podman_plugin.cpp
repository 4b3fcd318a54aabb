// The podman plugin: console sessions in podman containers, through the real podman CLI.
// Options and their podman flags: podman_options.hpp, podman_argv.hpp; how a session ends
// and is cleaned up: podman_session.hpp; exit statuses: podman_exit.hpp.
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/worker.hpp>

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
        BERTH_CAP_PIPES | BERTH_CAP_PTY | BERTH_CAP_RESIZE | BERTH_CAP_SIGNAL |
            BERTH_CAP_STDIN_EOF | BERTH_CAP_RUN | BERTH_CAP_EXEC};

    explicit podman_plugin(sdk::host_services host) : host_(host) {}

    sdk::health_report health() override { return check_health(); }

    std::string_view options_schema() override { return podman::options_schema(); }

    std::unique_ptr<sdk::session> open(std::string_view options_json,
                                       sdk::session_sink sink) override {
        podman_options options = parse_options(options_json);
        const bool run = options.mode == session_mode::run;
        auto session =
            std::make_unique<podman_session>(loop_, worker_, host_, std::move(options), sink);
        host_.log(BERTH_LOG_DEBUG, std::string("started podman ") + (run ? "run" : "exec") +
                                       ", pid " + std::to_string(session->pid()));
        host_.add_counter(run ? "containers_started_total" : "execs_started_total", 1);
        return session;
    }

    // What an earlier life of the host left: containers labelled with its owner, on the
    // default podman (sessions that chose another --url/--connection are not looked for).
    void reclaim_owned(std::uint32_t& removed) {
        podman::reclaim_owned(podman_options{}, host_.owner(), removed);
    }

private:
    sdk::host_services host_;
    // Sessions are destroyed before the plugin, so their callbacks and jobs are done; the
    // loop goes first (declared last), then the worker finishes its jobs and joins.
    sdk::worker worker_;
    sdk::event_loop loop_;
};

}  // namespace
}  // namespace berth::plugins::podman

BERTH_PLUGIN(berth::plugins::podman::podman_plugin)
