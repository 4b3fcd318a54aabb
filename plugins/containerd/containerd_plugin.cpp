// The containerd plugin: console sessions in containerd containers, through the real `ctr`.
//
// Options are read into a typed session_config (containerd_options), turned into ctr command
// lines (containerd_argv), and run on the SDK's session lifecycle (containerd_session). ctr's
// failures, all exit status 1, are classified from its last stderr line (containerd_errors).
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/runtime_session.hpp>

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
        "Console sessions in containerd containers, through ctr", BERTH_CAP_RUN | BERTH_CAP_EXEC};

    explicit containerd_plugin(sdk::host_services host) : sessions_(std::move(host)) {}

    ~containerd_plugin() override {
        // Sessions are gone; what they could not remove gets one more (bounded) try.
        if (leftovers_->size() == 0) return;
        (void)leftovers_->retry();
        for (const auto& item : leftovers_->items())
            sessions_.host().log(
                BERTH_LOG_ERROR,
                "left behind in containerd (it did not answer): remove with " + removal_hint(item));
    }
    containerd_plugin(const containerd_plugin&) = delete;
    containerd_plugin& operator=(const containerd_plugin&) = delete;

    sdk::health_report health() override {
        return check_health(environment_defaults::from_environment(), *leftovers_);
    }

    std::string_view options_schema() override { return containerd::options_schema(); }

    std::unique_ptr<sdk::runtime_session> open(std::string_view options_json,
                                               sdk::session_sink sink) {
        session_config config =
            read_options(options_json, environment_defaults::from_environment());
        const auto& host = sessions_.host();
        if (config.image) config.owner = host.owner();  // only what the session creates
        auto session = sessions_.open(
            std::make_unique<containerd_session_driver>(host, std::move(config), leftovers_), sink);
        host.add_counter("sessions_started_total", 1);
        return session;
    }

    // What an earlier life of the host left: containers labelled with its owner, on the
    // default address and namespace (sessions that chose others are not looked for).
    void reclaim_owned(std::uint32_t& removed) {
        containerd::reclaim_owned(environment_defaults::from_environment().conn(),
                                  sessions_.host().owner(), removed);
    }

private:
    std::shared_ptr<leftover_list> leftovers_ = std::make_shared<leftover_list>();
    sdk::session_runtime sessions_;  // last: its threads stop first
};

}  // namespace
}  // namespace berth::plugins::containerd

BERTH_PLUGIN(berth::plugins::containerd::containerd_plugin)
