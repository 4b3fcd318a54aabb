#include "containerd_errors.hpp"

#include <string.h>  // sigabbrev_np

#include <sstream>

namespace berth::plugins::containerd {
namespace {

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// ctr's logrus lines: `time="..." level=warning msg=...` without a terminal, and
// `ERRO[0000] ...` (possibly coloured) on one.
bool is_log_line(std::string_view line) {
    if (starts_with(line, "time=\"") || starts_with(line, "\x1b[")) return true;
    for (const std::string_view level : {"DEBU[", "INFO[", "WARN[", "ERRO[", "FATA["})
        if (starts_with(line, level)) return true;
    return false;
}

// The quoted word after `marker` in text (`exec: "foo": ...` -> foo), or fallback.
std::string quoted_after(std::string_view text, std::string_view marker,
                         std::string_view fallback) {
    const auto at = text.find(marker);
    if (at == std::string_view::npos) return std::string(fallback);
    const auto begin = at + marker.size();
    const auto end = text.find('"', begin);
    if (end == std::string_view::npos) return std::string(fallback);
    return std::string(text.substr(begin, end - begin));
}

std::string where(const session_config& c) {
    return "containerd namespace '" + c.conn.ns + "' at " + c.conn.address;
}

std::string format_ms(std::chrono::milliseconds ms) {
    if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + "s";
    return std::to_string(ms.count()) + "ms";
}

ctr_failure make(failure_kind kind, berth_status status, std::string message) {
    return {kind, status, std::move(message)};
}

}  // namespace

std::string ctr_error_line(std::string_view output) {
    // Walk the lines from the end; the error must be the last thing ctr said.
    std::size_t end = output.size();
    while (end > 0) {
        std::size_t begin = output.rfind('\n', end - 1);
        begin = begin == std::string_view::npos ? 0 : begin + 1;
        std::string_view line = output.substr(begin, end - begin);
        end = begin == 0 ? 0 : begin - 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
        if (line.empty() || is_log_line(line)) continue;
        if (starts_with(line, "ctr: ")) return std::string(line.substr(5));
        return {};
    }
    return {};
}

ctr_failure classify(std::string_view e, ctr_phase phase, const session_config& c,
                     std::string_view container_id) {
    const std::string id(container_id);
    const std::string said = " (ctr: " + std::string(e) + ")";

    if (contains(e, "failed to dial"))
        return make(failure_kind::daemon_unreachable, BERTH_ERR_UNAVAILABLE,
                    "containerd is not answering on " + c.conn.address + " (gave up after " +
                        format_ms(c.conn.connect_timeout) +
                        "): is the daemon running and is this its socket? Set the 'address' "
                        "option or $CONTAINERD_ADDRESS" +
                        said);
    if (contains(e, "code = Unavailable") || contains(e, "transport is closing") ||
        contains(e, "connection reset by peer") || contains(e, "error reading from server"))
        return make(failure_kind::connection_lost, BERTH_ERR_UNAVAILABLE,
                    "lost the connection to containerd at " + c.conn.address +
                        " (did the daemon stop?)" + said);
    if (starts_with(e, "image \"") && contains(e, "not found"))
        return make(failure_kind::image_not_found, BERTH_ERR_NOT_FOUND,
                    "image '" + quoted_after(e, "image \"", c.image.value_or("")) +
                        "' not found in " + where(c) +
                        ": ctr does not pull it here; import it (ctr -n " + c.conn.ns +
                        " image import FILE) or pull it (ctr -n " + c.conn.ns + " image pull REF)");
    if (starts_with(e, "container \"") && contains(e, "not found"))
        return make(
            failure_kind::container_not_found, BERTH_ERR_NOT_FOUND,
            "container '" + quoted_after(e, "container \"", id) + "' not found in " + where(c));
    if (contains(e, "no running task found"))
        return make(failure_kind::task_not_running, BERTH_ERR_STATE,
                    "container '" + id + "' in " + where(c) +
                        " is not running (it has no task): start it (ctr -n " + c.conn.ns +
                        " task start -d " + id + ") or use 'image' to run a new one");
    if (contains(e, "already exists")) {
        if (phase == ctr_phase::run)
            return make(failure_kind::already_exists, BERTH_ERR_STATE,
                        "container id '" + id + "' is already taken in " + where(c) +
                            ": choose another 'name', or remove the old container (ctr -n " +
                            c.conn.ns + " container rm " + id + ")" + said);
        return make(failure_kind::already_exists, BERTH_ERR_STATE,
                    "exec id already in use in container '" + id + "'" + said);
    }
    if (contains(e, "exec: \"") || contains(e, "executable file not found")) {
        const bool missing =
            contains(e, "executable file not found") || contains(e, "no such file or directory");
        const bool denied = contains(e, "permission denied");
        if (missing || denied) {
            const auto& argv = phase == ctr_phase::run ? c.init : c.command;
            const std::string name =
                quoted_after(e, "exec: \"", argv.empty() ? std::string_view() : argv.front());
            if (phase == ctr_phase::run)
                return make(missing ? failure_kind::command_not_found
                                    : failure_kind::command_not_executable,
                            BERTH_ERR_INVALID_ARGUMENT,
                            "the container's init '" + name + "' " +
                                (missing ? "was not found" : "is not executable") + " in image '" +
                                c.image.value_or("") +
                                "': set 'init' to a long-running command the image has" + said);
            if (missing)
                return make(failure_kind::command_not_found, BERTH_ERR_NOT_FOUND,
                            "command not found in the container: " + name);
            return make(failure_kind::command_not_executable, BERTH_ERR_PERMISSION,
                        "command not executable in the container: " + name);
        }
    }
    if (contains(e, "chdir to cwd"))
        return make(failure_kind::workdir_not_found, BERTH_ERR_INVALID_ARGUMENT,
                    "working directory '" + c.workdir +
                        "' (option 'workdir') cannot be entered "
                        "in the container" +
                        said);
    if (contains(e, "no users found") || contains(e, "no groups found") ||
        contains(e, "unable to find user") || contains(e, "unable to find group"))
        return make(failure_kind::user_not_found, BERTH_ERR_INVALID_ARGUMENT,
                    "user '" + c.user + "' (option 'user') is not known in the container" + said);
    if (contains(e, "snapshotter not loaded"))
        return make(
            failure_kind::snapshotter_not_loaded, BERTH_ERR_INVALID_ARGUMENT,
            "snapshotter '" +
                (c.snapshotter.empty() ? std::string(k_default_snapshotter) : c.snapshotter) +
                "' (option 'snapshotter') is not loaded in containerd at " + c.conn.address +
                "; see ctr plugins ls" + said);
    if (contains(e, "binary not installed") || contains(e, "failed to start shim"))
        return make(failure_kind::runtime_not_installed, BERTH_ERR_INVALID_ARGUMENT,
                    "containerd cannot start runtime '" +
                        (c.runtime.empty() ? std::string("io.containerd.runc.v2") : c.runtime) +
                        "' (option 'runtime')" + said);
    if (contains(e, "error mounting") || contains(e, "invalid mount") ||
        contains(e, "mount option"))
        return make(failure_kind::mount_failed, BERTH_ERR_INVALID_ARGUMENT,
                    "a mount (option 'mounts') failed" + said);
    if (contains(e, "process does not exist") || contains(e, "no running process found"))
        return make(failure_kind::process_not_found, BERTH_ERR_STATE,
                    "the session's process no longer runs in container '" + id + "'" + said);
    return make(failure_kind::other, BERTH_ERR_RUNTIME, "ctr failed: " + std::string(e));
}

sdk::exit_status session_exit(int exit_code, int term_signal, std::string_view output_tail,
                              const session_config& config, std::string_view container_id) {
    sdk::exit_status s;
    if (term_signal > 0) {
        s.term_signal = term_signal;
        s.reason = "ctr was ended by " + signal_text(term_signal);
        return s;
    }
    if (exit_code == 1) {
        if (const std::string line = ctr_error_line(output_tail); !line.empty()) {
            const ctr_failure f = classify(line, ctr_phase::exec, config, container_id);
            if (f.kind == failure_kind::command_not_found ||
                f.kind == failure_kind::command_not_executable) {
                s.exit_code = f.kind == failure_kind::command_not_found ? 127 : 126;
            } else {
                s.failed = true;
            }
            s.reason = f.message;
            return s;
        }
    }
    constexpr int k_last_standard_signal = 31;
    if (exit_code > 128 && exit_code <= 128 + k_last_standard_signal) {
        // ctr prints nothing for it: without a reason an external `ctr task kill` would leave
        // the record with a bare signal number.
        s.term_signal = exit_code - 128;
        s.reason = "the command was killed by " + signal_text(s.term_signal);
        return s;
    }
    s.exit_code = exit_code;
    return s;
}

std::string signal_text(int signo) {
    const char* name = signo > 0 ? ::sigabbrev_np(signo) : nullptr;
    if (name == nullptr) return "signal " + std::to_string(signo);
    return "SIG" + std::string(name) + " (signal " + std::to_string(signo) + ")";
}

std::string task_status(std::string_view tasks_table, std::string_view container_id) {
    std::istringstream lines{std::string(tasks_table)};
    std::string line;
    std::getline(lines, line);  // the header: TASK PID STATUS
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string task, pid, status;
        if (fields >> task >> pid >> status && task == container_id) return status;
    }
    return {};
}

void explain_signal(sdk::exit_status& status, std::string_view tasks_table,
                    std::string_view container_id) {
    const std::string task = task_status(tasks_table, container_id);
    if (task == "RUNNING" || task == "PAUSED" || task == "PAUSING") return;
    const std::string how = task == "STOPPED" ? ""
                            : task.empty()    ? " (its task is gone)"
                                              : " (task " + task + ")";
    status.reason = "container '" + std::string(container_id) + "' stopped" + how +
                    " while the session ran: " + status.reason;
}

}  // namespace berth::plugins::containerd
