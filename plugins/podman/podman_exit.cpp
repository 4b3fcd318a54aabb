#include "podman_exit.hpp"

#include <string.h>  // sigabbrev_np

#include <csignal>

namespace berth::plugins::podman {
namespace {

constexpr std::string_view k_error_prefix = "Error: ";

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// The last non-blank line; a terminal ends lines with \r\n.
std::string_view last_line(std::string_view text) {
    text = trim(text);
    const auto nl = text.find_last_of('\n');
    return trim(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

std::string signal_text(int signo) {
    const char* name = signo > 0 ? ::sigabbrev_np(signo) : nullptr;
    if (name == nullptr) return "signal " + std::to_string(signo);
    return "SIG" + std::string(name) + " (signal " + std::to_string(signo) + ")";
}

void output_tail::append(std::span<const std::uint8_t> data) {
    if (data.size() >= k_capacity) {
        data = data.subspan(data.size() - k_capacity);
        text_.clear();
    }
    text_.append(reinterpret_cast<const char*>(data.data()), data.size());
    if (text_.size() > k_capacity) text_.erase(0, text_.size() - k_capacity);
}

std::optional<std::string> podman_error(std::string_view tail) {
    const std::string_view line = last_line(tail);
    if (line.substr(0, k_error_prefix.size()) != k_error_prefix) return std::nullopt;
    const std::string_view message = trim(line.substr(k_error_prefix.size()));
    if (message.empty()) return std::nullopt;
    return std::string(message);
}

bool is_command_error(std::string_view m) {
    // runc: exec: "X": executable file not found in $PATH
    //       exec: "/etc/passwd": permission denied ... OCI permission denied
    //       exec: "/x": no such file or directory ... / exec format error
    if (!contains(m, "exec: \"")) return false;
    return contains(m, "executable file not found") || contains(m, "permission denied") ||
           contains(m, "no such file or directory") || contains(m, "exec format error") ||
           contains(m, "is a directory");
}

bool is_name_conflict(std::string_view tail) {
    const auto message = podman_error(tail);
    return message && contains(*message, "is already in use");
}

sdk::exit_status classify_exit(const sdk::process_exit& podman, std::string_view tail,
                               session_mode mode) {
    sdk::exit_status s;
    if (podman.term_signal > 0) {
        // podman itself was killed (berth's close, or someone else): what became of the
        // container's command is unknown, so the signal is the story.
        s.term_signal = podman.term_signal;
        s.reason = "podman was ended by signal " + std::to_string(podman.term_signal);
        return s;
    }
    const int code = podman.exit_code;
    if (code == 125 || code == 126 || code == 127 || code == 255) {
        if (auto message = podman_error(tail)) {
            if ((code == 126 || code == 127) && is_command_error(*message)) {
                s.exit_code = code;
                s.reason = (code == 127 ? "command not found in the container: "
                                        : "command not executable in the container: ") +
                           *message;
                return s;
            }
            s.failed = true;
            s.reason = *message;
            return s;
        }
    }
    if (code > 128 && code - 128 < NSIG) {
        // podman prints nothing for it: without a reason an external `podman kill` would leave
        // the record with a bare signal number.
        s.term_signal = code - 128;
        s.reason = (mode == session_mode::run ? "container was killed by "
                                              : "the command was killed by ") +
                   signal_text(s.term_signal);
        return s;
    }
    s.exit_code = code;
    return s;
}

}  // namespace berth::plugins::podman
