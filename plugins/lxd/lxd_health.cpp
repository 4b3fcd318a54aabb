#include "lxd_health.hpp"

#include <chrono>
#include <filesystem>

#include "lxd_api.hpp"
#include "lxd_options.hpp"

namespace berth::plugins::lxd {
namespace {

using json = nlohmann::json;

// Each REST call of a check; two calls stay within the host's 15 s bound.
constexpr std::chrono::milliseconds k_call_bound{5000};

// What berth's sessions use: signals over the control socket, and user/group/cwd on exec.
constexpr const char* k_needed_extensions[] = {"container_exec_signal_handling",
                                               "container_exec_user_group_cwd"};

std::string text_of(const json& j, const char* key) {
    const json& v = field(j, key);
    return v.is_string() ? v.get<std::string>() : std::string();
}

}  // namespace

sdk::health_report report_for(const std::string& where, const json& server, const json& members,
                              const std::string& target) {
    sdk::health_report r;
    const json& env = field(server, "environment");
    const std::string flavor = text_of(env, "server").empty() ? "lxd" : text_of(env, "server");
    const std::string version = text_of(env, "server_version");
    const std::string name = flavor == "incus" ? "Incus" : "LXD";
    r.attributes.emplace_back("flavor", flavor);
    r.attributes.emplace_back("server_version", version);
    r.attributes.emplace_back("remote", where);
    if (text_of(server, "auth") != "trusted") {
        r.state = BERTH_HEALTH_UNHEALTHY;
        r.detail = name + " " + version + " at " + where +
                   " does not trust berth (auth: " + text_of(server, "auth") +
                   "): add berth's client certificate with `lxc config trust add CERT` (`incus "
                   "config trust add-certificate CERT`)";
        return r;
    }
    std::string missing;
    const json& have = field(server, "api_extensions");
    for (const char* ext : k_needed_extensions) {
        bool found = false;
        if (have.is_array())
            for (const auto& e : have)
                found = found || (e.is_string() && e.get<std::string>() == ext);
        if (!found) missing += (missing.empty() ? "" : ", ") + std::string(ext);
    }
    r.state = BERTH_HEALTH_HEALTHY;
    r.detail = name + " " + version + " at " + where;
    if (!missing.empty()) {
        r.attributes.emplace_back("missing_extensions", missing);
        r.detail += "; it lacks API extensions berth uses (" + missing +
                    "): signals or user/group/cwd will not work";
    }
    if (members.is_array() && !members.empty()) {
        std::string list;
        int offline = 0;
        for (const auto& m : members) {
            const std::string member = text_of(m, "server_name");
            const std::string status = text_of(m, "status");
            r.attributes.emplace_back("member." + member, status);
            list += (list.empty() ? "" : ", ") + member + " " + status;
            if (status != "Online" && status != "ONLINE") {
                ++offline;
                if (const std::string why = text_of(m, "message"); !why.empty())
                    list += " (" + why + ")";
            }
        }
        r.attributes.emplace_back("members_offline", std::to_string(offline));
        r.detail += "; cluster: " + list;
        if (offline > 0) r.detail += "; sessions targeted at a member that is not online fail";
    }
    if (!target.empty()) {
        r.attributes.emplace_back("target", target);
        std::string status;
        if (members.is_array())
            for (const auto& m : members)
                if (text_of(m, "server_name") == target) status = text_of(m, "status");
        if (status != "Online" && status != "ONLINE") {
            r.state = BERTH_HEALTH_UNHEALTHY;
            r.detail = "member '" + target + "' (" + std::string(k_env_target) +
                       "), where sessions are placed, is " +
                       (status.empty() ? "not in the cluster" : status) + "; " + r.detail;
        }
    }
    return r;
}

sdk::health_report check_health() {
    sdk::health_report r;
    endpoint e;
    try {
        e = default_endpoint();
    } catch (const sdk::error& x) {
        r.state = BERTH_HEALTH_UNHEALTHY;
        r.detail = x.what();
        return r;
    }
    std::error_code ec;
    if (!e.https() && !std::filesystem::exists(e.socket, ec)) {
        r.state = BERTH_HEALTH_UNDETECTED;
        r.detail = "no LXD or Incus server here: no socket at " + e.socket +
                   "; install lxd (or incus), or set BERTH_LXD_REMOTE to a socket path or an "
                   "https:// URL with BERTH_LXD_CLIENT_CERT and BERTH_LXD_CLIENT_KEY";
        return r;
    }
    try {
        const lxd_api api(e, "default", k_call_bound);
        const json server = api.server();
        const bool clustered = field(field(server, "environment"), "server_clustered") == true;
        return report_for(e.describe(), server, clustered ? api.members() : json::array(),
                          default_target());
    } catch (const sdk::error& x) {
        r.state = BERTH_HEALTH_UNHEALTHY;
        r.detail = x.what();
        r.attributes.emplace_back("remote", e.describe());
        return r;
    }
}

}  // namespace berth::plugins::lxd
