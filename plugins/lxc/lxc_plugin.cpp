// The `lxc` plugin: console sessions in LXC containers through the real LXC tools (lxc-attach,
// lxc-copy, lxc-create, lxc-start, lxc-stop, lxc-destroy, lxc-info), never through sudo.
//
// open() prepares the container on the caller's thread (copy, create or start: blocking, but
// bounded), then hands lxc-attach to the SDK's process helper. See lxc_options.hpp for the
// three modes and lxc_session.hpp for how a session ends and cleans up.
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>

#include <mutex>
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
        BERTH_CAP_PIPES | BERTH_CAP_PTY | BERTH_CAP_RESIZE | BERTH_CAP_SIGNAL |
            BERTH_CAP_STDIN_EOF | BERTH_CAP_RUN | BERTH_CAP_EXEC};

    explicit lxc_plugin(sdk::host_services host) : host_(host) {}

    sdk::health_report health() override { return check_health(); }

    std::string_view options_schema() override { return lxc::options_schema(); }

    std::unique_ptr<sdk::session> open(std::string_view options_json,
                                       sdk::session_sink sink) override {
        const lxc_options options = parse_options(options_json);
        // Before anything is made: without lxc-attach a copied container would only be removed.
        if (!sdk::find_executable("lxc-attach"))
            throw sdk::error(BERTH_ERR_UNAVAILABLE,
                             "lxc-attach not found in PATH: install the lxc package");

        std::string target = fixed_target(options);
        owned_container owned;
        owned.stop_timeout = options.stop_timeout;
        switch (options.mode) {
            case session_mode::attach:
                if (options.ensure_running && ensure_running(options.lxcpath, target))
                    host_.log(BERTH_LOG_INFO, "started container " + target + " (ensure_running)");
                break;
            case session_mode::ephemeral:
                target = random_container_name();
                copy_ephemeral(options, target);
                owned.name = target;
                host_.add_counter("ephemeral_containers_total", 1);
                break;
            case session_mode::create:
                create_and_start(options);
                if (options.destroy_on_close) {
                    owned.name = target;
                    owned.destroy = true;
                }
                host_.add_counter("containers_created_total", 1);
                break;
        }
        if (!owned.name.empty() && !host_.owner().empty()) {
            if (const auto problem = mark_owned(lxcpath_of(options), owned.name, host_.owner());
                !problem.empty())
                host_.log(BERTH_LOG_WARN,
                          "container " + owned.name + " is not marked as the host's: " + problem);
        }
        auto session =
            std::make_unique<lxc_session>(loop_, host_, options, target, std::move(owned), sink);
        host_.log(BERTH_LOG_DEBUG, "lxc-attach pid " + std::to_string(session->pid()) + " into " +
                                       target + " (" + std::string(to_string(options.mode)) +
                                       " mode)");
        return session;
    }

    // What an earlier life of the host left: containers marked with its owner under the
    // default lxcpath (sessions that chose another lxcpath are not looked for).
    void reclaim_owned(std::uint32_t& removed) {
        std::string lxcpath;
        try {
            lxcpath = lxcpath_of({});
        } catch (const sdk::error& e) {
            // No LXC tools here, so no container of ours either.
            if (e.status() == BERTH_ERR_UNAVAILABLE) return;
            throw;
        }
        lxc::reclaim_owned(lxcpath, host_.owner(), removed);
    }

private:
    // options.lxcpath, or LXC's default (asked once).
    std::string lxcpath_of(const lxc_options& options) {
        if (!options.lxcpath.empty()) return options.lxcpath;
        std::call_once(default_lxcpath_once_, [this] { default_lxcpath_ = default_lxcpath(); });
        return default_lxcpath_;
    }

    sdk::host_services host_;
    std::once_flag default_lxcpath_once_;
    std::string default_lxcpath_;
    sdk::event_loop loop_;  // sessions are destroyed before the plugin, so before the loop
};

}  // namespace
}  // namespace berth::plugins::lxc

BERTH_PLUGIN(berth::plugins::lxc::lxc_plugin)
