#include "lxc_health.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>
#include <berth/sdk/process_session.hpp>
#include <berth/sdk/run_command.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "lxc_argv.hpp"
#include "lxc_tools.hpp"

namespace berth::plugins::lxc {
namespace {

// The whole check stays within BERTH_HEALTH_BOUND_MS: four calls of at most 2 s.
constexpr std::chrono::seconds k_call_timeout{2};

std::string trimmed(std::string s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

bool fs_is(const char* path, long magic) {
    struct statfs st {};
    return ::statfs(path, &st) == 0 && static_cast<long>(st.f_type) == magic;
}

std::size_t count_words(const std::string& text) {
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string w; in >> w;) ++n;
    return n;
}

// Runs a quick LXC query; "" and the problem in `problem` when it failed.
std::string query(const std::vector<std::string>& argv, std::string& problem) {
    try {
        const auto r = sdk::run_command(argv, k_call_timeout);
        if (r.ok()) return r.out;
        problem = argv.front() + " failed: " + r.message();
    } catch (const std::exception& e) {
        problem = argv.front() + ": " + e.what();
    }
    return {};
}

// Why LXC cannot use `path` as its lxcpath, or "". A missing folder is fine when LXC can
// create it (it does so on the first lxc-create).
std::string lxcpath_problem(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::path p = path;
    while (!std::filesystem::exists(p, ec)) {
        if (!p.has_parent_path() || p.parent_path() == p) return "no part of it exists";
        p = p.parent_path();
    }
    if (!std::filesystem::is_directory(p, ec)) return p.string() + " is not a directory";
    if (::access(p.c_str(), W_OK | X_OK) != 0)
        return p.string() + " is not writable by uid " + std::to_string(::geteuid()) +
               " (berth never uses sudo)";
    return {};
}

// What lxc-checkconfig would call missing: the namespaces every container needs.
std::string missing_namespaces() {
    std::string missing;
    for (const char* ns : {"mnt", "pid", "uts", "ipc", "net"}) {
        std::error_code ec;
        if (!std::filesystem::exists(std::string("/proc/self/ns/") + ns, ec))
            missing += (missing.empty() ? "" : ", ") + std::string(ns);
    }
    return missing;
}

bool overlay_loaded() {
    std::ifstream in("/proc/filesystems");
    for (std::string line; std::getline(in, line);)
        if (line.find("\toverlay") != std::string::npos) return true;
    return false;
}

}  // namespace

std::string cgroup_layout() {
    if (fs_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) return "v2";
    if (fs_is("/sys/fs/cgroup", CGROUP_SUPER_MAGIC)) return "v1";
    const bool unified = fs_is("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC);
    bool v1 = false;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
        if (entry.path().filename() == "unified") continue;
        if (fs_is(entry.path().c_str(), CGROUP_SUPER_MAGIC)) {
            v1 = true;
            break;
        }
    }
    if (v1) return unified ? "hybrid" : "v1";
    return unified ? "v2" : "none";
}

sdk::health_report check_health() {
    sdk::health_report report;
    if (!sdk::find_executable("lxc-attach")) {
        report.state = BERTH_HEALTH_UNDETECTED;
        report.detail = "lxc-attach not found in PATH: install the lxc package";
        return report;
    }
    std::string missing_tools;
    for (const char* tool : {"lxc-start", "lxc-stop", "lxc-info", "lxc-wait", "lxc-copy",
                             "lxc-create", "lxc-destroy", "lxc-ls", "lxc-config"})
        if (!sdk::find_executable(tool))
            missing_tools += (missing_tools.empty() ? "" : ", ") + std::string(tool);
    report.state = BERTH_HEALTH_UNHEALTHY;
    if (!missing_tools.empty()) {
        report.detail = "LXC is partly installed: " + missing_tools +
                        " not found in PATH; reinstall the lxc package";
        return report;
    }

    std::string problem;
    const std::string version = trimmed(query({"lxc-start", "--version"}, problem));
    if (version.empty()) {
        report.detail = problem.empty() ? "lxc-start --version printed nothing" : problem;
        return report;
    }
    report.attributes.emplace_back("version", version);
    report.attributes.emplace_back("uid", std::to_string(::geteuid()));

    const std::string layout = cgroup_layout();
    report.attributes.emplace_back("cgroup_layout", layout);
    report.attributes.emplace_back(
        "overlayfs", overlay_loaded() ? "loaded" : "not loaded yet (ephemeral mode needs it)");

    std::string lxcpath;
    try {
        lxcpath = default_lxcpath(k_call_timeout);
    } catch (const std::exception& e) {
        report.detail = e.what();  // "cannot read lxc.lxcpath: ..."
        return report;
    }
    report.attributes.emplace_back("lxcpath", lxcpath);

    const std::string listed = query(list_argv(""), problem);
    if (!problem.empty()) {
        report.detail = "cannot list containers: " + problem;
        return report;
    }
    auto running_argv = list_argv("");
    running_argv.emplace_back("--running");
    const std::string running = query(running_argv, problem);
    report.attributes.emplace_back("containers", std::to_string(count_words(listed)));
    if (problem.empty())
        report.attributes.emplace_back("running", std::to_string(count_words(running)));

    if (layout == "none") {
        report.detail =
            "no cgroup filesystem is mounted at /sys/fs/cgroup; LXC cannot start "
            "containers";
        return report;
    }
    if (const auto ns = missing_namespaces(); !ns.empty()) {
        report.detail = "the kernel lacks namespaces LXC needs: " + ns;
        return report;
    }
    if (const auto p = lxcpath_problem(lxcpath); !p.empty()) {
        report.detail = "lxcpath " + lxcpath + " is unusable: " + p;
        return report;
    }
    report.state = BERTH_HEALTH_HEALTHY;
    report.detail = "LXC " + version + ", lxcpath " + lxcpath + ", cgroups " + layout + ", " +
                    std::to_string(count_words(listed)) + " container(s)";
    return report;
}

}  // namespace berth::plugins::lxc
