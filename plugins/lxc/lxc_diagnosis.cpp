#include "lxc_diagnosis.hpp"

#include <array>
#include <cctype>
#include <utility>
#include <vector>

namespace berth::plugins::lxc {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0)
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0)
        s.remove_suffix(1);
    return s;
}

// Lines of text; a terminal's "\r\n" and stray '\r' are dropped.
std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        while (!line.empty() && line.front() == '\r') line.remove_prefix(1);
        out.push_back(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

constexpr std::array<std::pair<std::string_view, container_state>, 9> k_states{{
    {"STOPPED", container_state::stopped},
    {"STARTING", container_state::starting},
    {"RUNNING", container_state::running},
    {"STOPPING", container_state::stopping},
    {"ABORTING", container_state::aborting},
    {"FREEZING", container_state::freezing},
    {"FROZEN", container_state::frozen},
    {"THAWED", container_state::thawed},
    {"MISSING", container_state::missing},
}};

}  // namespace

std::string_view to_string(container_state s) noexcept {
    for (const auto& [text, state] : k_states)
        if (state == s) return text;
    return "UNKNOWN";
}

container_state parse_state(int exit_code, std::string_view out, std::string_view err) {
    if (exit_code != 0) {
        if (contains(out, "doesn't exist") || contains(err, "doesn't exist"))
            return container_state::missing;
        return container_state::unknown;
    }
    for (const auto line : lines(out)) {
        const std::string_view l = trim(line);
        if (l.substr(0, 6) != "State:") continue;
        const std::string_view value = trim(l.substr(6));
        for (const auto& [text, state] : k_states)
            if (value == text && state != container_state::missing) return state;
    }
    return container_state::unknown;
}

long parse_init_pid(std::string_view out) {
    for (const auto line : lines(out)) {
        const std::string_view l = trim(line);
        if (l.substr(0, 4) != "PID:") continue;
        const std::string_view value = trim(l.substr(4));
        long pid = 0;
        for (const char c : value) {
            if (std::isdigit(static_cast<unsigned char>(c)) == 0) return -1;
            pid = pid * 10 + (c - '0');
            if (pid > 4194304) return -1;  // above any pid_max
        }
        return value.empty() ? -1 : pid;
    }
    return -1;
}

std::optional<std::string> lxc_log_message(std::string_view line, std::string_view tool,
                                           std::string_view name) {
    // "TOOL: NAME: FILE: FUNCTION: LINE MESSAGE"
    std::string prefix = std::string(tool) + ": " + std::string(name) + ": ";
    if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
    std::string_view rest = line.substr(prefix.size());
    for (int field = 0; field < 2; ++field) {  // the source file and the function
        const auto sep = rest.find(": ");
        if (sep == std::string_view::npos) return std::string(trim(rest));
        rest.remove_prefix(sep + 2);
    }
    std::size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits])) != 0)
        ++digits;
    if (digits > 0) rest.remove_prefix(digits);
    return std::string(trim(rest));
}

attach_failure scan_attach_output(std::string_view output, std::string_view name) {
    attach_failure r;
    for (const auto line : lines(output)) {
        auto message = lxc_log_message(line, "lxc-attach", name);
        if (!message) continue;
        if (!r.found) r.message = *message;
        r.found = true;
        if (contains(*message, "Failed to get init pid")) r.no_init_pid = true;
    }
    return r;
}

std::string tool_messages(std::string_view err, std::string_view tool, std::string_view name) {
    std::string joined;
    for (const auto line : lines(err)) {
        if (trim(line).empty()) continue;
        auto message = lxc_log_message(line, tool, name);
        joined += (joined.empty() ? "" : "; ") + (message ? *message : std::string(trim(line)));
    }
    return joined;
}

tool_failure classify_create_failure(std::string_view name, std::string_view lxc_template,
                                     std::string_view err) {
    const std::string said = tool_messages(err, "lxc-create", name);
    const std::string n(name);
    const std::string t(lxc_template);
    if (contains(err, "Container already exists"))
        return {BERTH_ERR_STATE, "container '" + n +
                                     "' already exists (option 'name'): choose "
                                     "another name, or enter it with 'container'"};
    if (contains(err, "bad template") ||
        (contains(err, "Template \"") && contains(err, "not found")))
        return {BERTH_ERR_NOT_FOUND, "LXC template '" + t +
                                         "' not found (option "
                                         "'lxc_template'; see /usr/share/lxc/templates): " +
                                         said};
    if (contains(err, "Permission denied") || contains(err, "Operation not permitted"))
        return {BERTH_ERR_PERMISSION,
                "lxc-create " + n +
                    " was refused (berth never uses sudo; LXC needs root or an "
                    "unprivileged LXC set-up for this user): " +
                    said};
    return {BERTH_ERR_RUNTIME,
            "lxc-create " + n + " failed: " + (said.empty() ? "no message" : said)};
}

}  // namespace berth::plugins::lxc
