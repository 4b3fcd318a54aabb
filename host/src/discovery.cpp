#include <berth/host/discovery.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <system_error>

#ifndef BERTH_MULTIARCH  // set by CMake from CMAKE_LIBRARY_ARCHITECTURE
#define BERTH_MULTIARCH ""
#endif

namespace berth::host {
namespace fs = std::filesystem;

namespace {

std::optional<std::string> secure_env(const char* name) {
    // secure_getenv returns NULL in a setuid/setgid process: an unprivileged user must not
    // make a privileged berth load their code.
    const char* v = ::secure_getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

void split_into(const std::string& list, std::vector<fs::path>& out) {
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(':', start);
        if (end == std::string::npos) end = list.size();
        if (end > start) out.emplace_back(list.substr(start, end - start));
        start = end + 1;
    }
}

}  // namespace

discovery_inputs current_discovery_inputs() {
    discovery_inputs in;
    in.plugin_path = secure_env("BERTH_PLUGIN_PATH");
    in.system_plugin_path = secure_env("BERTH_PLUGIN_SYSTEM_PATH");
    std::error_code ec;
    in.executable = fs::read_symlink("/proc/self/exe", ec);
    return in;
}

std::vector<fs::path> plugin_search_dirs(const discovery_inputs& in) {
    std::vector<fs::path> dirs;
    if (in.plugin_path) split_into(*in.plugin_path, dirs);
    if (!in.executable.empty())
        dirs.push_back(in.executable.parent_path().parent_path() / "lib" / "berth" / "plugins");
    if (in.system_plugin_path) {
        split_into(*in.system_plugin_path, dirs);
    } else {
        dirs.emplace_back("/usr/local/lib/berth/plugins");
        const std::string multiarch = BERTH_MULTIARCH;
        if (!multiarch.empty())
            dirs.push_back(fs::path("/usr/lib") / multiarch / "berth" / "plugins");
        dirs.emplace_back("/usr/lib/berth/plugins");
    }
    std::vector<fs::path> unique;
    std::set<fs::path> seen;
    for (const auto& d : dirs) {
        std::error_code ec;
        fs::path key = fs::weakly_canonical(d, ec);
        if (ec) key = d.lexically_normal();
        if (seen.insert(key).second) unique.push_back(d.lexically_normal());
    }
    return unique;
}

std::vector<fs::path> plugin_candidates(const std::vector<fs::path>& dirs) {
    std::vector<fs::path> out;
    for (const auto& dir : dirs) {
        std::error_code ec;
        std::vector<fs::path> here;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path& p = it->path();
            if (p.extension() != ".so") continue;
            std::error_code sec;
            if (!fs::is_regular_file(p, sec)) continue;  // follows links
            here.push_back(p);
        }
        std::sort(here.begin(), here.end());
        out.insert(out.end(), here.begin(), here.end());
    }
    return out;
}

}  // namespace berth::host
