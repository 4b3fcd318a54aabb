// The containerd plugin: console sessions in containerd containers, through the real `ctr`.
//
// Options are read into a typed session_config (containerd_options), turned into ctr command
// lines (containerd_argv), and run by the SDK's process helper (containerd_session). ctr's
// failures, all exit status 1, are classified from its last stderr line (containerd_errors).
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>

#include <memory>

#include "containerd_cleanup.hpp"
#include "containerd_health.hpp"
#include "containerd_options.hpp"
#include "containerd_session.hpp"

namespace berth::plugins::containerd {
namespace {

class containerd_plugin final : public sdk::plugin {
public:
    static constexpr sdk::plugin_info k_info{
        "berth-containerd", "containerd", BERTH_VERSION,
        "Console sessions in containerd containers, through ctr",
        BERTH_CAP_PIPES | BERTH_CAP_PTY | BERTH_CAP_RESIZE | BERTH_CAP_SIGNAL |
            BERTH_CAP_STDIN_EOF | BERTH_CAP_RUN | BERTH_CAP_EXEC};

    explicit containerd_plugin(sdk::host_services host) : host_(host) {}

    ~containerd_plugin() override {
        // Sessions are gone; what they could not remove gets one more (bounded) try.
        if (leftovers_->size() == 0) return;
        (void)leftovers_->retry();
        for (const auto& item : leftovers_->items())
            host_.log(
                BERTH_LOG_ERROR,
                "left behind in containerd (it did not answer): remove with " + removal_hint(item));
    }
    containerd_plugin(const containerd_plugin&) = delete;
    containerd_plugin& operator=(const containerd_plugin&) = delete;

    sdk::health_report health() override {
        return check_health(environment_defaults::from_environment(), *leftovers_);
    }

    std::string_view options_schema() override { return containerd::options_schema(); }

    std::unique_ptr<sdk::session> open(std::string_view options_json,
                                       sdk::session_sink sink) override {
        session_config config =
            read_options(options_json, environment_defaults::from_environment());
        if (config.image) config.owner = host_.owner();  // only what the session creates
        if (!sdk::find_executable(config.conn.ctr))
            throw sdk::error(BERTH_ERR_UNAVAILABLE,
                             "ctr not found: '" + config.conn.ctr +
                                 "' is not in PATH (install the containerd package, or set the "
                                 "'ctr_path' option)");
        auto session =
            std::make_unique<containerd_session>(loop_, std::move(config), sink, host_, leftovers_);
        host_.add_counter("sessions_started_total", 1);
        return session;
    }

    // What an earlier life of the host left: containers labelled with its owner, on the
    // default address and namespace (sessions that chose others are not looked for).
    void reclaim_owned(std::uint32_t& removed) {
        containerd::reclaim_owned(environment_defaults::from_environment().conn(), host_.owner(),
                                  removed);
    }

private:
    sdk::host_services host_;
    std::shared_ptr<leftover_list> leftovers_ = std::make_shared<leftover_list>();
    sdk::event_loop loop_;  // sessions are destroyed before the plugin, so before the loop
};

}  // namespace
}  // namespace berth::plugins::containerd

BERTH_PLUGIN(berth::plugins::containerd::containerd_plugin)
