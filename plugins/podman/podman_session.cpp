#include "podman_session.hpp"

#include <berth/sdk/proc_stat.hpp>
#include <berth/sdk/run_command.hpp>

#include <csignal>
#include <thread>

#include "podman_exit.hpp"
#include "podman_reclaim.hpp"

namespace berth::plugins::podman {
namespace {

using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

// A signal sent while the container is still being created waits this long for its process.
constexpr milliseconds k_signal_wait{5000};
constexpr milliseconds k_poll{50};
// A container's PID 1 loses a signal it does not handle or block yet (the kernel drops it).
// While it is this young it may still be setting up (a shell before its trap, catatonit before
// it blocks what it forwards), so a signal waits for that, polled this often.
constexpr milliseconds k_startup{2000};
constexpr milliseconds k_setup_poll{10};
// podman_exit's inspect (10 s), podman_reclaim's listing (30 s) and removal (60 s).
constexpr milliseconds k_classify_and_remove{105000};
// A podman exec killed while it set up its process may still start it: look this long.
constexpr int k_sweep_rounds = 10;
constexpr milliseconds k_sweep_interval{100};

// Waits up to its argument for podman to end; true once it has.
auto ended(sdk::process_session& process) {
    return [&process](milliseconds t) { return process.wait(t); };
}

session_ids make_ids(const podman_options& options, const sdk::host_services& host) {
    const std::string token = new_token();
    if (options.mode != session_mode::run) return {token, {}, {}};
    return {token, options.name.empty() ? "berth-" + token : options.name, host.owner()};
}

}  // namespace

podman_session_driver::podman_session_driver(sdk::host_services host, podman_options options)
    : host_(std::move(host)),
      options_(std::move(options)),
      ids_(make_ids(options_, host_)),
      processes_(k_token_env, ids_.token) {}

sdk::session_plan podman_session_driver::prepare() {
    sdk::session_plan plan;
    plan.process.argv = session_argv(options_, ids_);
    plan.process.tty = options_.tty;
    plan.process.rows = options_.rows;
    plan.process.cols = options_.cols;
    plan.target = run_mode() ? ids_.name : options_.container;
    plan.install_hint = "install podman, or point option 'binary' at it";
    plan.clean_up_bound = k_classify_and_remove + k_sweep_rounds * k_sweep_interval;
    return plan;
}

void podman_session_driver::wait_ready(sdk::process_session& process) {
    if (ready_ || !options_.tty || !options_.local()) return;
    (void)processes_.leader_by(clock::now() + k_signal_wait, ended(process));
    ready_ = true;
}

void podman_session_driver::signal(int signo, sdk::process_session& process) {
    if (options_.local()) {
        const auto deadline = clock::now() + k_signal_wait;
        while (const auto leader = processes_.leader_by(deadline, ended(process))) {
            if (!await_setup(leader->pid, signo, deadline, process)) return;
            const int err = processes_.signal(leader->pid, signo);
            if (err == 0) return;
            // Not ESRCH: out of reach (a rootless container's user).
            if (err != ESRCH || clock::now() >= deadline) break;
            // ESRCH: it ended just now; look again after a pause.
            if (process.wait(k_poll)) return;
        }
        if (process.finished()) return;  // ended before its process showed up
    }
    if (run_mode()) {
        podman_signalled_ = true;
        process.signal(signo);  // podman run --sig-proxy forwards it to the container
        return;
    }
    throw sdk::error(BERTH_ERR_UNSUPPORTED,
                     "cannot send signal " + std::to_string(signo) +
                         " to the command in container '" + options_.container +
                         "': podman exec forwards no signals, and the command's process " +
                         (options_.local() ? "could not be reached on this host"
                                           : "runs behind a remote podman service"));
}

bool podman_session_driver::await_setup(pid_t pid, int signo,
                                        std::chrono::steady_clock::time_point deadline,
                                        sdk::process_session& process) {
    const auto st = sdk::read_proc_stat(pid);
    if (!st) return true;  // gone: the caller finds out
    const auto until = std::min(deadline, clock::now() + (k_startup - sdk::process_age(*st)));
    while (clock::now() < until && sdk::init_would_drop(pid, signo))
        if (process.wait(k_setup_poll)) return false;
    return true;
}

sdk::stop_result podman_session_driver::stop(int signo, sdk::process_session& /*process*/) {
    // A remote service's processes are out of sight: podman itself is all there is.
    if (!options_.local()) return sdk::stop_result::out_of_reach;
    bool reached = false;
    for (const auto& p : processes_.find()) reached |= processes_.signal(p.pid, signo) == 0;
    // None yet: the container is still being created. The SDK asks again; if none shows up in
    // time it signals podman, and clean-up removes what podman leaves.
    return reached ? sdk::stop_result::reached : sdk::stop_result::not_yet;
}

bool podman_session_driver::podman_killed(const sdk::runtime_end& end) const {
    return end.process.term_signal > 0 || end.runtime_signalled || podman_signalled_;
}

sdk::exit_status podman_session_driver::classify(const sdk::runtime_end& end) {
    sdk::exit_status status = classify_exit(end.process, end.tail, options_.mode);
    // An exec'd command killed by a signal nobody here sent: was it the container that went
    // (`podman kill`, `podman stop`)? Only podman can say.
    if (!run_mode() && !end.closing && !podman_killed(end) && status.term_signal > 0)
        explain_exec_signal(status, options_, host_);
    return status;
}

void podman_session_driver::clean_up(sdk::exit_status& status, const sdk::runtime_end& end) {
    const bool forced = end.closing || podman_killed(end);
    if (run_mode() && forced) remove_container(status);
    if (!run_mode() && options_.local() && forced)
        kill_stragglers(podman_killed(end) ? k_sweep_rounds : 1);
}

void podman_session_driver::remove_container(sdk::exit_status& status) const {
    const std::string problem = remove_session_container(options_, ids_.token);
    if (problem.empty()) {
        host_.add_counter("forced_removals_total", 1);
        return;
    }
    host_.log(BERTH_LOG_WARN, "could not remove container " + ids_.name + ": " + problem);
    host_.add_counter("cleanup_failures_total", 1);
    status.reason += (status.reason.empty() ? "" : "; ") + std::string("container ") + ids_.name +
                     " may be left behind: " + problem;
}

void podman_session_driver::kill_stragglers(int rounds) const {
    for (int i = 0; i < rounds; ++i) {
        if (i > 0) std::this_thread::sleep_for(k_sweep_interval);
        if (const auto n = processes_.signal_all(SIGKILL); n > 0)
            host_.log(BERTH_LOG_DEBUG, "killed " + std::to_string(n) +
                                           " leftover process(es) of exec session " + ids_.token);
    }
}

}  // namespace berth::plugins::podman
