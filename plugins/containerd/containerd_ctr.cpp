#include "containerd_ctr.hpp"

#include <fcntl.h>
#include <stdlib.h>  // mkdtemp
#include <termios.h>
#include <unistd.h>
#include <berth/sdk/run_command.hpp>
#include <berth/sdk/unique_fd.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "containerd_argv.hpp"
#include "containerd_cleanup.hpp"
#include "containerd_errors.hpp"

namespace berth::plugins::containerd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// `ctr run -d` may have to unpack the image first.
constexpr std::chrono::seconds k_start_margin{60};
// How long a signal is retried while the exec process does not exist (yet).
constexpr std::chrono::seconds k_signal_retry{2};

std::chrono::milliseconds timeout(const session_config& config, std::chrono::seconds margin) {
    return config.conn.connect_timeout + margin;
}

}  // namespace

fs::path make_fifo_dir(const std::string& parent) {
    std::error_code ec;
    const fs::path base = !parent.empty() ? fs::path(parent) : fs::temp_directory_path(ec);
    std::string pattern = ((ec ? fs::path("/tmp") : base) / "berth-ctr-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw sdk::error(BERTH_ERR_RUNTIME, "cannot make a FIFO folder in " + base.string() +
                                                " (option 'fifo_dir'): " + std::strerror(errno));
    return pattern;
}

void create_container(const session_config& config, const std::string& id,
                      const sdk::host_services& host) {
    host.log(BERTH_LOG_DEBUG, "creating container " + id);
    const auto r = sdk::run_tool(run_detached(config, id), timeout(config, k_start_margin),
                                 k_ctr_install_hint);
    if (r.ok()) {
        host.add_counter("containers_created_total", 1);
        return;
    }
    ctr_failure f;
    if (r.timed_out) {
        f.message = "`ctr run` of image '" + *config.image + "' did not finish within " +
                    std::to_string(timeout(config, k_start_margin).count()) + " ms";
    } else {
        const std::string line = ctr_error_line(r.err);
        f = classify(line.empty() ? r.message() : line, ctr_phase::run, config, id);
    }
    // A failed `ctr run` can leave the container (and snapshot) behind, e.g. when the init
    // cannot start. A taken id is someone else's; an unreachable daemon made nothing.
    if (f.kind != failure_kind::already_exists && f.kind != failure_kind::daemon_unreachable) {
        const cleanup_outcome c = remove_leftover({config.conn, id, {}});
        if (!c.done) host.log(BERTH_LOG_WARN, "after a failed ctr run: " + c.problem);
    }
    throw sdk::error(f.status, f.message);
}

void signal_exec(const session_config& config, const std::string& id, const std::string& exec_id,
                 int signo, const std::function<bool(std::chrono::milliseconds)>& ended) {
    const auto deadline = std::chrono::steady_clock::now() + k_signal_retry;
    while (true) {
        const auto r = sdk::run_tool(kill_exec(config.conn, id, exec_id, signo),
                                     timeout(config, k_ctr_call_margin), k_ctr_install_hint);
        if (r.ok()) return;
        if (r.timed_out)
            throw sdk::error(BERTH_ERR_TIMEOUT,
                             "`ctr task kill` did not finish within " +
                                 std::to_string(timeout(config, k_ctr_call_margin).count()) +
                                 " ms");
        const std::string line = ctr_error_line(r.err);
        const ctr_failure f =
            classify(line.empty() ? r.message() : line, ctr_phase::other, config, id);
        if (f.kind != failure_kind::process_not_found)
            throw sdk::error(f.status,
                             "cannot send signal " + std::to_string(signo) + ": " + f.message);
        // Not there: either not started yet (ctr has just been spawned) or already gone, in
        // which case ctr ends in a moment. Try again until one of the two shows.
        if (ended(50ms) || std::chrono::steady_clock::now() > deadline) return;
    }
}

bool kill_session(const session_config& config, const std::string& id, const std::string& exec_id) {
    const auto command = config.run_mode() ? kill_task(config.conn, id)
                                           : kill_exec(config.conn, id, exec_id, SIGKILL);
    try {
        return sdk::run_command(command, timeout(config, k_ctr_call_margin)).ok();
    } catch (const sdk::error&) {
        return false;  // no ctr: ctr itself is killed next
    }
}

void explain_with_tasks(sdk::exit_status& status, const session_config& config,
                        const std::string& id, const sdk::host_services& host) {
    try {
        const auto r =
            sdk::run_command(list_tasks(config.conn), timeout(config, k_ctr_call_margin));
        if (r.ok()) return explain_signal(status, r.out, id);
        host.log(BERTH_LOG_DEBUG, "ctr tasks ls after a signal: " + r.message());
    } catch (const std::exception& ex) {
        host.log(BERTH_LOG_DEBUG, std::string("ctr tasks ls after a signal: ") + ex.what());
    }
}

void make_terminal_raw(pid_t ctr_pid) {
    const std::string path = "/proc/" + std::to_string(ctr_pid) + "/fd/0";
    const sdk::unique_fd fd(::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    termios t{};
    if (!fd || ::isatty(fd.get()) == 0 || ::tcgetattr(fd.get(), &t) != 0) return;  // ctr is gone
    ::cfmakeraw(&t);
    (void)::tcsetattr(fd.get(), TCSANOW, &t);
}

}  // namespace berth::plugins::containerd
