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

void split_into(const std::string& list, dir_origin origin, std::vector<search_dir>& out) {
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(':', start);
        if (end == std::string::npos) end = list.size();
        if (end > start) out.push_back({fs::path(list.substr(start, end - start)), origin});
        start = end + 1;
    }
}

std::vector<fs::path> files_in(const fs::path& dir) {
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
    return here;
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

std::string_view describe(dir_origin origin) noexcept {
    switch (origin) {
        case dir_origin::plugin_path:
            return "BERTH_PLUGIN_PATH";
        case dir_origin::beside_binary:
            return "the directory beside the binary";
        case dir_origin::system:
            return "a system plugin directory";
        case dir_origin::system_path:
            return "BERTH_PLUGIN_SYSTEM_PATH";
        case dir_origin::other:
            break;
    }
    return "a plugin directory";
}

bool is_builtin(dir_origin origin) noexcept {
    return origin == dir_origin::beside_binary || origin == dir_origin::system ||
           origin == dir_origin::system_path;
}

std::vector<search_dir> plugin_search_dirs_tagged(const discovery_inputs& in) {
    std::vector<search_dir> dirs;
    if (in.plugin_path) split_into(*in.plugin_path, dir_origin::plugin_path, dirs);
    if (!in.executable.empty())
        dirs.push_back({in.executable.parent_path().parent_path() / "lib" / "berth" / "plugins",
                        dir_origin::beside_binary});
    if (in.system_plugin_path) {
        split_into(*in.system_plugin_path, dir_origin::system_path, dirs);
    } else {
        dirs.push_back({"/usr/local/lib/berth/plugins", dir_origin::system});
        const std::string multiarch = BERTH_MULTIARCH;
        if (!multiarch.empty())
            dirs.push_back(
                {fs::path("/usr/lib") / multiarch / "berth" / "plugins", dir_origin::system});
        dirs.push_back({"/usr/lib/berth/plugins", dir_origin::system});
    }
    std::vector<search_dir> unique;
    std::set<fs::path> seen;
    for (const auto& d : dirs) {
        std::error_code ec;
        fs::path key = fs::weakly_canonical(d.path, ec);
        if (ec) key = d.path.lexically_normal();
        if (seen.insert(key).second) unique.push_back({d.path.lexically_normal(), d.origin});
    }
    return unique;
}

std::string describe(const std::vector<search_dir>& dirs) {
    if (dirs.empty()) return "no directory";
    std::string out;
    for (const auto& d : dirs) {
        if (!out.empty()) out += ", ";
        out += d.path.string() + " (" + std::string(describe(d.origin)) + ")";
    }
    return out;
}

std::vector<fs::path> plugin_search_dirs(const discovery_inputs& in) {
    std::vector<fs::path> out;
    for (auto& d : plugin_search_dirs_tagged(in)) out.push_back(std::move(d.path));
    return out;
}

std::vector<fs::path> plugin_candidates(const std::vector<fs::path>& dirs) {
    std::vector<fs::path> out;
    for (const auto& dir : dirs) {
        auto here = files_in(dir);
        out.insert(out.end(), here.begin(), here.end());
    }
    return out;
}

std::vector<plugin_candidate> tagged_plugin_candidates(const std::vector<search_dir>& dirs) {
    std::vector<plugin_candidate> out;
    for (const auto& dir : dirs)
        for (auto& p : files_in(dir.path)) out.push_back({std::move(p), dir.origin});
    return out;
}

}  // namespace berth::host
