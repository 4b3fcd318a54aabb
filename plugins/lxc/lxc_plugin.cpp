// The `lxc` plugin: console sessions in LXC containers through the real LXC tools (lxc-attach,
// lxc-copy, lxc-create, lxc-start, lxc-stop, lxc-destroy, lxc-info), never through sudo.
//
// A session prepares its container on the caller's thread (attach, copy or create: blocking,
// but bounded), then runs lxc-attach on the SDK's session lifecycle. See lxc_options.hpp for
// the three modes and lxc_session.hpp for what is LXC's own in a session.
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/runtime_session.hpp>

#include <string>

#include "lxc_health.hpp"
#include "lxc_options.hpp"
#include "lxc_session.hpp"
#include "lxc_tools.hpp"

namespace berth::plugins::lxc {
namespace {

class lxc_plugin final : public sdk::plugin {
public:
    static constexpr sdk::plugin_info k_info{
        "berth-lxc", "lxc", BERTH_VERSION,
        "LXC containers via lxc-attach: enter one, an ephemeral copy of a template, or a new "
        "one (no -w/-u: lxc-attach has no --cwd or --user; uid/gid are numeric options)",
        BERTH_CAP_RUN | BERTH_CAP_EXEC};

    explicit lxc_plugin(sdk::host_services host) : sessions_(std::move(host)) {}

    sdk::health_report health() override { return check_health(); }

    std::string_view options_schema() override { return lxc::options_schema(); }

    std::unique_ptr<sdk::runtime_session> open(std::string_view options_json,
                                               sdk::session_sink sink) {
        lxc_options options = parse_options(options_json);
        const auto& host = sessions_.host();
        // Only a container the session makes is marked; attach mode makes none.
        std::string owner_lxcpath;
        if (options.mode != session_mode::attach && !host.owner().empty())
            owner_lxcpath = lxcpath_of(options);
        const auto mode = options.mode;
        auto session = sessions_.open(std::make_unique<lxc_session_driver>(
                                          host, std::move(options), std::move(owner_lxcpath)),
                                      sink);
        host.log(BERTH_LOG_DEBUG, "lxc-attach pid " + std::to_string(session->pid()) + " into " +
                                      session->target() + " (" + std::string(to_string(mode)) +
                                      " mode)");
        return session;
    }

    // What an earlier life of the host left: containers marked with its owner under the
    // default lxcpath (sessions that chose another lxcpath are not looked for).
    void reclaim_owned(std::uint32_t& removed) {
        reclaim_owned_default(sessions_.host().owner(), removed);
    }

private:
    sdk::session_runtime sessions_;  // last: its threads stop first
};

}  // namespace
}  // namespace berth::plugins::lxc

BERTH_PLUGIN(berth::plugins::lxc::lxc_plugin)
