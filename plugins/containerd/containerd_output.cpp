#include "containerd_output.hpp"

#include <sstream>
#include <vector>

namespace berth::plugins::containerd {
namespace {

std::string_view trimmed(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// The "Version:" value in the section that starts with a line equal to `section`.
std::string section_version(std::string_view output, std::string_view section) {
    bool inside = false;
    std::size_t start = 0;
    while (start < output.size()) {
        std::size_t end = output.find('\n', start);
        if (end == std::string_view::npos) end = output.size();
        const std::string_view raw = output.substr(start, end - start);
        const std::string_view line = trimmed(raw);
        start = end + 1;
        if (!raw.empty() && raw.front() != ' ' && raw.front() != '\t') {
            inside = line == section;  // an unindented line starts a section
            continue;
        }
        constexpr std::string_view k_key = "Version:";
        if (inside && line.substr(0, k_key.size()) == k_key)
            return std::string(trimmed(line.substr(k_key.size())));
    }
    return {};
}

}  // namespace

std::string server_version(std::string_view output) { return section_version(output, "Server:"); }

std::string client_version(std::string_view output) { return section_version(output, "Client:"); }

std::string plugin_status(std::string_view output, std::string_view id) {
    std::istringstream lines{std::string(output)};
    std::string line;
    std::getline(lines, line);  // the header: TYPE ID PLATFORMS STATUS
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::vector<std::string> columns;
        for (std::string f; fields >> f;) columns.push_back(f);
        if (columns.size() >= 3 && columns[1] == id) return columns.back();
    }
    return {};
}

}  // namespace berth::plugins::containerd
