#include "containerd_session.hpp"

#include <berth/sdk/random_hex.hpp>

#include <csignal>

#include "containerd_argv.hpp"
#include "containerd_ctr.hpp"
#include "containerd_errors.hpp"

namespace berth::plugins::containerd {
namespace {
using namespace std::chrono_literals;

std::string random_id() { return "berth-" + sdk::random_hex(12); }

}  // namespace

containerd_session_driver::containerd_session_driver(sdk::host_services host, session_config config,
                                                     std::shared_ptr<leftover_list> leftovers)
    : host_(std::move(host)),
      config_(std::move(config)),
      leftovers_(std::move(leftovers)),
      exec_id_(random_id()) {
    if (config_.run_mode() && config_.name.empty()) config_.name = random_id();
}

sdk::session_plan containerd_session_driver::prepare() {
    fifo_dir_ = make_fifo_dir(config_.fifo_dir);
    try {
        if (config_.run_mode()) create_container(config_, target(), host_);
    } catch (...) {
        remove_fifo_dir();
        throw;
    }
    sdk::session_plan plan;
    plan.process.argv = exec_command(config_, target(), exec_id_, fifo_dir_.string());
    plan.process.tty = config_.tty;
    plan.process.rows = config_.rows;
    plan.process.cols = config_.cols;
    // ctr listens for SIGWINCH only once its first resize call has returned; a resize in that
    // window would be lost without the repeats.
    if (config_.tty) plan.process.winch_repeats = {250ms, 1s, 3s};
    plan.target = target();
    plan.install_hint = k_ctr_install_hint;
    // `ctr tasks ls`, then up to three removal calls, each bounded.
    plan.clean_up_bound =
        4 * (config_.conn.connect_timeout + std::chrono::seconds(10)) + std::chrono::seconds(5);
    return plan;
}

void containerd_session_driver::abandon() noexcept {
    if (config_.run_mode()) {
        const cleanup_outcome out = remove_leftover({config_.conn, target(), {}});
        if (!out.done) host_.log(BERTH_LOG_WARN, "after a failed start: " + out.problem);
    }
    remove_fifo_dir();
}

void containerd_session_driver::started(sdk::process_session& process) noexcept {
    if (config_.tty) make_terminal_raw(static_cast<pid_t>(process.pid()));
}

void containerd_session_driver::signal(int signo, sdk::process_session& process) {
    signal_exec(config_, target(), exec_id_, signo,
                [&process](std::chrono::milliseconds t) { return process.wait(t); });
}

sdk::stop_result containerd_session_driver::stop(int signo, sdk::process_session& process) {
    // Without a daemon nothing reaches the command: ctr itself is all there is to end (clean-up
    // then keeps what is left for later). Asked once per close, not once per signal.
    if (daemon_away_) return sdk::stop_result::out_of_reach;
    if (signo == SIGKILL) {
        if (kill_session(config_, target(), exec_id_)) return sdk::stop_result::reached;
        daemon_away_ = true;
        return sdk::stop_result::out_of_reach;
    }
    try {
        signal(signo, process);
        return sdk::stop_result::reached;
    } catch (const sdk::error& e) {
        host_.log(BERTH_LOG_DEBUG, "signal " + std::to_string(signo) + " on close: " + e.what());
        daemon_away_ = e.status() == BERTH_ERR_UNAVAILABLE || e.status() == BERTH_ERR_TIMEOUT;
        return sdk::stop_result::out_of_reach;
    }
}

sdk::exit_status containerd_session_driver::classify(const sdk::runtime_end& end) {
    sdk::exit_status status =
        session_exit(end.process.exit_code, end.process.term_signal, end.tail, config_, target());
    // The command was killed by a signal the session did not send: did its container go with
    // it (`ctr task kill` of the task)? Asked before clean-up removes a run-mode container.
    if (!end.closing && end.process.term_signal == 0 && status.term_signal > 0 && !status.failed)
        explain_with_tasks(status, config_, target(), host_);
    return status;
}

void containerd_session_driver::clean_up(sdk::exit_status& status, const sdk::runtime_end& end) {
    // ctr removes its exec process itself when it ends normally; not when it was killed,
    // lost the daemon, or the session is being closed. A run-mode container always goes.
    const bool run = config_.run_mode();
    if (run || end.process.term_signal > 0 || status.failed || end.closing) {
        const std::string problem = remove_or_remember(
            {config_.conn, target(), run ? std::string() : exec_id_}, *leftovers_);
        if (problem.empty()) {
            if (run) host_.add_counter("containers_removed_total", 1);
        } else {
            host_.add_counter("cleanup_failures_total", 1);
            host_.log(BERTH_LOG_WARN, problem);
            status.reason += (status.reason.empty() ? "" : "; ") + problem;
        }
    }
    remove_fifo_dir();
}

void containerd_session_driver::remove_fifo_dir() const {
    std::error_code ec;
    std::filesystem::remove_all(fifo_dir_, ec);
    if (ec) host_.log(BERTH_LOG_WARN, "cannot remove " + fifo_dir_.string() + ": " + ec.message());
}

}  // namespace berth::plugins::containerd
