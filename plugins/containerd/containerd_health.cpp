#include "containerd_health.hpp"

#include <berth/sdk/process_session.hpp>
#include <berth/sdk/run_command.hpp>

#include "containerd_argv.hpp"
#include "containerd_errors.hpp"
#include "containerd_output.hpp"

namespace berth::plugins::containerd {
namespace {

// Past the connect timeout (2 s by default), how long `ctr version` / `ctr plugins ls` may take:
// two calls stay within BERTH_HEALTH_BOUND_MS.
constexpr std::chrono::seconds k_call_margin{2};

// The daemon's answer, or why there is none (a report with state unhealthy).
bool call(const char* what, const argv& command, const session_config& context,
          sdk::command_result& r, sdk::health_report& report) {
    try {
        r = sdk::run_command(command, context.conn.connect_timeout + k_call_margin);
    } catch (const std::exception& e) {
        report.detail = std::string("cannot run ctr: ") + e.what();
        return false;
    }
    if (r.ok()) return true;
    if (r.timed_out) {
        report.detail =
            "containerd at " + context.conn.address + " did not answer `ctr " + what + "` within " +
            std::to_string((context.conn.connect_timeout + k_call_margin).count()) + " ms";
        return false;
    }
    std::string line = ctr_error_line(r.err);
    if (line.empty()) line = r.message();
    report.detail = classify(line, ctr_phase::other, context, {}).message;
    return false;
}

}  // namespace

sdk::health_report check_health(const environment_defaults& defaults, leftover_list& leftovers) {
    sdk::health_report report;
    session_config context;
    context.conn.address = defaults.address;
    context.conn.ns = defaults.ns;
    context.snapshotter = defaults.snapshotter;
    const std::string snapshotter =
        defaults.snapshotter.empty() ? std::string(k_default_snapshotter) : defaults.snapshotter;

    const auto ctr = sdk::find_executable(context.conn.ctr);
    if (!ctr) {
        report.state = BERTH_HEALTH_UNDETECTED;
        report.detail = "ctr not found in PATH: install the containerd package";
        return report;
    }
    report.attributes.emplace_back("address", context.conn.address);
    report.attributes.emplace_back("namespace", context.conn.ns);
    report.attributes.emplace_back("snapshotter", snapshotter);

    report.state = BERTH_HEALTH_UNHEALTHY;
    sdk::command_result r;
    if (!call("version", version(context.conn), context, r, report)) {
        if (auto client = client_version(r.out); !client.empty())
            report.attributes.emplace_back("ctr_version", client);
        return report;
    }
    const std::string server = server_version(r.out);
    if (auto client = client_version(r.out); !client.empty())
        report.attributes.emplace_back("ctr_version", client);
    if (server.empty()) {
        report.detail = "`ctr version` on " + context.conn.address + " printed no server version";
        return report;
    }
    report.attributes.emplace(report.attributes.begin(), "version", server);

    if (!call("plugins ls", snapshotter_status(context.conn, snapshotter), context, r, report))
        return report;
    const std::string status = plugin_status(r.out, snapshotter);
    if (status != "ok") {
        report.detail =
            "containerd " + server + " at " + context.conn.address +
            " answers, but its snapshotter '" + snapshotter + "' " +
            (status.empty() ? "does not exist" : "is not usable (status " + status + ")") +
            ": set $CONTAINERD_SNAPSHOTTER or the 'snapshotter' option";
        return report;
    }

    report.state = BERTH_HEALTH_HEALTHY;
    report.detail = "containerd " + server + " answers on " + context.conn.address;
    // The daemon is back (or never left): what sessions could not remove while it was away
    // can go now.
    if (const std::size_t left = leftovers.retry(context.conn.address); left > 0) {
        report.attributes.emplace_back("leftovers", std::to_string(left));
        report.detail += "; " + std::to_string(left) +
                         " container(s) or process(es) of ended sessions still to remove";
    }
    return report;
}

}  // namespace berth::plugins::containerd
