#include "podman_health.hpp"

#include <berth/sdk/process_session.hpp>
#include <berth/sdk/run_command.hpp>

#include <nlohmann/json.hpp>

namespace berth::plugins::podman {
namespace {
using json = nlohmann::json;

std::string string_at(const json& j, std::initializer_list<const char*> path) {
    const json* at = &j;
    for (const char* key : path) {
        if (!at->is_object()) return {};
        const auto it = at->find(key);
        if (it == at->end()) return {};
        at = &*it;
    }
    return at->is_string() ? at->get<std::string>() : std::string();
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string seconds(std::chrono::milliseconds ms) {
    return std::to_string(ms.count() / 1000) + "." + std::to_string(ms.count() % 1000 / 100) + " s";
}

// Runs one podman query; on failure fills the report as UNHEALTHY and returns nullopt.
std::optional<std::string> query(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout, sdk::health_report& report) {
    const std::string what = "`" + argv[0] + " " + argv[1] + "`";
    const auto r = sdk::run_command(argv, timeout);
    if (r.timed_out) {
        report.state = BERTH_HEALTH_UNHEALTHY;
        report.detail = what + " did not answer within " + seconds(timeout) +
                        ": podman may be stuck on a lock; check `podman ps` by hand";
        return std::nullopt;
    }
    if (!r.ok()) {
        report.state = BERTH_HEALTH_UNHEALTHY;
        report.detail = what + " failed: " + r.message();
        return std::nullopt;
    }
    return r.out;
}

}  // namespace

version_result parse_version_json(std::string_view text) {
    version_result out;
    try {
        const json j = json::parse(text);
        out.version = string_at(j, {"Client", "Version"});
        if (out.version.empty()) out.version = string_at(j, {"Version"});
        if (out.version.empty()) out.problem = "it names no Client.Version";
    } catch (const json::exception& e) {
        out.problem = std::string("it is not valid JSON: ") + e.what();
    }
    return out;
}

std::optional<podman_info> parse_info_json(std::string_view text, std::string& problem) {
    try {
        const json j = json::parse(text);
        if (!j.is_object() || !j.contains("host")) {
            problem = "it has no 'host' section";
            return std::nullopt;
        }
        podman_info info;
        info.oci_runtime = string_at(j, {"host", "ociRuntime", "name"});
        info.oci_runtime_version = first_line(string_at(j, {"host", "ociRuntime", "version"}));
        info.storage_driver = string_at(j, {"store", "graphDriverName"});
        info.cgroup_manager = string_at(j, {"host", "cgroupManager"});
        info.cgroup_version = string_at(j, {"host", "cgroupVersion"});
        const auto& host = j["host"];
        if (host.contains("security") && host["security"].is_object() &&
            host["security"].contains("rootless") && host["security"]["rootless"].is_boolean())
            info.rootless = host["security"]["rootless"].get<bool>();
        return info;
    } catch (const json::exception& e) {
        problem = std::string("it is not valid JSON: ") + e.what();
        return std::nullopt;
    }
}

sdk::health_report check_health(const std::string& binary, health_timeouts timeouts) {
    sdk::health_report report;
    if (!sdk::find_executable(binary)) {
        report.state = BERTH_HEALTH_UNDETECTED;
        report.detail = binary +
                        " not found in PATH: install podman (apt-get install podman, "
                        "or ./scripts/setup-runtimes.sh)";
        return report;
    }
    try {
        const auto version_out =
            query({binary, "version", "--format", "json"}, timeouts.version, report);
        if (!version_out) return report;
        const auto version = parse_version_json(*version_out);
        if (!version.problem.empty()) {
            report.state = BERTH_HEALTH_UNHEALTHY;
            report.detail =
                "cannot read `" + binary + " version --format json`: " + version.problem;
            return report;
        }
        report.attributes.emplace_back("version", version.version);

        const auto info_out = query({binary, "info", "--format", "json"}, timeouts.info, report);
        if (!info_out) return report;
        std::string problem;
        const auto info = parse_info_json(*info_out, problem);
        if (!info) {
            report.state = BERTH_HEALTH_UNHEALTHY;
            report.detail = "cannot read `" + binary + " info --format json`: " + problem;
            return report;
        }
        const auto add = [&](const char* key, const std::string& value) {
            if (!value.empty()) report.attributes.emplace_back(key, value);
        };
        add("oci_runtime", info->oci_runtime);
        add("oci_runtime_version", info->oci_runtime_version);
        add("storage_driver", info->storage_driver);
        add("cgroup_manager", info->cgroup_manager);
        add("cgroup_version", info->cgroup_version);
        if (info->rootless) add("rootless", *info->rootless ? "true" : "false");
        report.state = BERTH_HEALTH_HEALTHY;
        report.detail = "podman " + version.version;
        std::string setup;
        for (const std::string& part :
             {info->oci_runtime, info->storage_driver, info->cgroup_manager,
              info->rootless ? std::string(*info->rootless ? "rootless" : "rootful") : ""})
            if (!part.empty()) setup += (setup.empty() ? "" : ", ") + part;
        if (!setup.empty()) report.detail += " (" + setup + ")";
    } catch (const std::exception& e) {
        // run_command throws when the binary vanished between the lookup and the spawn.
        report.state = BERTH_HEALTH_UNDETECTED;
        report.detail = std::string("cannot run ") + binary + ": " + e.what();
    }
    return report;
}

}  // namespace berth::plugins::podman
