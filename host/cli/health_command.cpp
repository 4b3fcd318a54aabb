// `berth health`: every plugin's health check, run in parallel, each bounded in time.
#include <future>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace berth::cli {
namespace {
constexpr std::chrono::seconds k_check_timeout{15};
}

int health(host::host& h, const std::optional<std::string>& runtime, output_format format) {
    std::vector<std::shared_ptr<host::plugin>> targets;
    if (runtime) {
        auto p = h.find(*runtime);
        if (!p) {
            std::cerr << "berth: unknown runtime '" << *runtime << "' (see `berth plugin ls`)\n";
            return k_exit_usage;
        }
        targets.push_back(p);
    } else {
        targets = h.plugins();
    }
    std::vector<std::future<registry::health_check_result>> checks;
    for (const auto& p : targets)
        checks.push_back(
            std::async(std::launch::async, [p] { return p->check_health(k_check_timeout); }));

    int status = 0;
    nlohmann::json out = nlohmann::json::array();
    if (format == output_format::table)
        std::cout << std::left << std::setw(12) << "RUNTIME" << std::setw(12) << "STATE"
                  << std::setw(10) << "LATENCY"
                  << "DETAIL\n";
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto r = checks[i].get();
        if (r.state == registry::health_state::unhealthy) status = 1;
        const double ms = std::chrono::duration<double, std::milli>(r.latency).count();
        if (format == output_format::json) {
            nlohmann::json attrs = nlohmann::json::object();
            for (const auto& [k, v] : r.attributes) attrs[k] = v;
            out.push_back({{"runtime", targets[i]->runtime()},
                           {"plugin", targets[i]->name()},
                           {"state", std::string(registry::to_string(r.state))},
                           {"detail", r.detail},
                           {"latency_ms", ms},
                           {"attributes", attrs}});
            continue;
        }
        std::ostringstream latency;
        latency << std::fixed << std::setprecision(1) << ms << "ms";
        std::cout << std::left << std::setw(12) << targets[i]->runtime() << std::setw(12)
                  << registry::to_string(r.state) << std::setw(10) << latency.str() << r.detail
                  << "\n";
        for (const auto& [k, v] : r.attributes) std::cout << "    " << k << ": " << v << "\n";
    }
    if (format == output_format::json) std::cout << out.dump(2) << "\n";
    return status;
}

}  // namespace berth::cli
