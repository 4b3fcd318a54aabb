#include "podman_exit.hpp"

#include <string.h>  // sigabbrev_np

#include <berth/sdk/run_command.hpp>

#include <chrono>
#include <csignal>

#include "podman_argv.hpp"

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

// `podman container inspect` after an exec'd command was killed by a signal.
constexpr std::chrono::milliseconds k_state_timeout{10000};

}  // namespace

std::string signal_text(int signo) {
    const char* name = signo > 0 ? ::sigabbrev_np(signo) : nullptr;
    if (name == nullptr) return "signal " + std::to_string(signo);
    return "SIG" + std::string(name) + " (signal " + std::to_string(signo) + ")";
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

sdk::exit_status classify_exit(const sdk::exit_status& podman, std::string_view tail,
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

void explain_exec_signal(sdk::exit_status& status, const podman_options& options,
                         const sdk::host_services& host) {
    const std::string& name = options.container;
    std::string words;
    try {
        const auto r = sdk::run_command(state_argv(options, name), k_state_timeout);
        const std::string_view state = trim(r.out);
        // Still there: the command alone was killed.
        if (r.ok() && (state == "running" || state == "paused")) return;
        if (r.ok() && !state.empty()) {
            // "exited", or "stopped" while podman still cleans up: stopped either way.
            status.reason =
                "container '" + name + "' stopped while the session ran: " + status.reason;
            return;
        }
        words = r.message();
        if (!r.timed_out && contains(words, "no such container")) {
            status.reason =
                "container '" + name + "' was removed while the session ran: " + status.reason;
            return;
        }
    } catch (const std::exception& ex) {
        words = ex.what();
    }
    host.log(BERTH_LOG_DEBUG, "cannot tell what became of container " + name + ": " + words);
}

}  // namespace berth::plugins::podman
