// The `lxd` plugin: console sessions in LXD or Incus instances, on one server or anywhere in a
// cluster, through the REST API directly (Boost.Beast over the Unix socket or HTTPS with
// OpenSSL): no `lxc` or `incus` client on berth's host. See lxd_options.hpp for the two modes
// and lxd_session.hpp for how a session maps onto LXD's exec API.
#include <berth/sdk/plugin.hpp>

#include <string>

#include "lxd_api.hpp"
#include "lxd_health.hpp"
#include "lxd_options.hpp"
#include "lxd_runtime.hpp"
#include "lxd_session.hpp"

namespace berth::plugins::lxd {
namespace {

class lxd_plugin final : public sdk::plugin {
public:
    static constexpr sdk::plugin_info k_info{
        "berth-lxd", "lxd", BERTH_VERSION,
        "LXD or Incus instances through the REST API (Unix socket or HTTPS, any cluster "
        "member): exec into one, or launch one from an image for the session",
        BERTH_CAP_RUN | BERTH_CAP_EXEC};

    explicit lxd_plugin(sdk::host_services host) : runtime_(std::move(host)) {}

    sdk::health_report health() override { return check_health(); }

    std::string_view options_schema() override { return lxd::options_schema(); }

    std::unique_ptr<exec_session> open(std::string_view options_json, sdk::session_sink sink) {
        return exec_session::open(runtime_, parse_options(options_json), sink);
    }

    // What an earlier life of the host left: instances it launched, on the server the
    // environment names (sessions that chose another remote are not looked for).
    void reclaim_owned(std::uint32_t& removed) {
        const std::string& owner = runtime_.host().owner();
        if (owner.empty()) return;
        const endpoint e = default_endpoint();
        std::error_code ec;
        if (!e.https() && !std::filesystem::exists(e.socket, ec)) return;
        const lxd_api api(e, default_project(), std::chrono::seconds(30));
        std::string failures;
        for (const auto& name : api.owned_by(owner)) {
            if (const auto problem = api.remove(name); problem.empty())
                ++removed;
            else
                failures += (failures.empty() ? "" : "; ") + name + ": " + problem;
        }
        if (!failures.empty())
            throw sdk::error(BERTH_ERR_RUNTIME,
                             "could not delete instances left by an earlier "
                             "berth: " +
                                 failures);
    }

private:
    lxd_runtime runtime_;  // last: its threads stop first
};

}  // namespace
}  // namespace berth::plugins::lxd

BERTH_PLUGIN(berth::plugins::lxd::lxd_plugin)
