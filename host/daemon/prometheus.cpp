#include "prometheus.hpp"

#include <algorithm>
#include <sstream>

namespace berth::daemon {
namespace {

std::string escaped(const std::string& v) {
    std::string out;
    for (const char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string labels(const registry::plugin_metrics& m, const std::string& extra = {}) {
    std::string l = "{plugin=\"" + escaped(m.plugin) + "\",runtime=\"" + escaped(m.runtime) + "\"";
    if (!extra.empty()) l += "," + extra;
    return l + "}";
}

}  // namespace

std::string prometheus_text(const std::vector<registry::plugin_metrics>& metrics,
                            const std::vector<std::shared_ptr<host::plugin>>& active) {
    std::ostringstream o;
    const auto header = [&](const char* name, const char* type, const char* help) {
        o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << "\n";
    };
    const auto is_up = [&](const registry::plugin_metrics& m) {
        return std::any_of(active.begin(), active.end(),
                           [&](const auto& p) { return p->name() == m.plugin; });
    };

    header("berth_plugin_up", "gauge", "1 when the plugin is loaded and takes new sessions.");
    for (const auto& m : metrics)
        o << "berth_plugin_up" << labels(m) << ' ' << (is_up(m) ? 1 : 0) << "\n";

    header("berth_plugin_health_state", "gauge",
           "1 for the plugin's current health state, 0 for the others.");
    for (const auto& m : metrics)
        for (auto s : {registry::health_state::unknown, registry::health_state::healthy,
                       registry::health_state::unhealthy, registry::health_state::undetected})
            o << "berth_plugin_health_state"
              << labels(m, "state=\"" + std::string(registry::to_string(s)) + "\"") << ' '
              << (m.state == s ? 1 : 0) << "\n";

    header("berth_health_check_duration_seconds", "gauge",
           "Duration of the plugin's last health check.");
    for (const auto& m : metrics)
        o << "berth_health_check_duration_seconds" << labels(m) << ' '
          << std::chrono::duration<double>(m.last_latency).count() << "\n";

    header("berth_sessions_active", "gauge", "Sessions open now.");
    for (const auto& m : metrics)
        o << "berth_sessions_active" << labels(m) << ' ' << m.sessions_active << "\n";

    header("berth_sessions_opened_total", "counter", "Sessions opened.");
    for (const auto& m : metrics)
        o << "berth_sessions_opened_total" << labels(m) << ' ' << m.sessions_opened << "\n";

    header("berth_sessions_failed_total", "counter", "Sessions that could not be opened.");
    for (const auto& m : metrics)
        o << "berth_sessions_failed_total" << labels(m) << ' ' << m.sessions_failed << "\n";

    header("berth_session_bytes_total", "counter",
           "Bytes written to (in) and read from (out) sessions.");
    for (const auto& m : metrics) {
        o << "berth_session_bytes_total" << labels(m, "direction=\"in\"") << ' ' << m.bytes_in
          << "\n";
        o << "berth_session_bytes_total" << labels(m, "direction=\"out\"") << ' ' << m.bytes_out
          << "\n";
    }
    return o.str();
}

}  // namespace berth::daemon
