#include "lxc_session.hpp"

#include <unistd.h>
#include <berth/sdk/proc_stat.hpp>

#include <csignal>
#include <filesystem>
#include <system_error>
#include <thread>

#include "lxc_tools.hpp"  // with lxc_argv.hpp and lxc_diagnosis.hpp

namespace berth::plugins::lxc {
namespace {

using std::chrono::milliseconds;

// How long input and signals wait for lxc-attach to have forked the command (a few ms).
constexpr milliseconds k_attach_wait{2000};

// The program a process runs, or empty when it cannot be read.
std::filesystem::path exe_of(pid_t pid) {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
    return ec ? std::filesystem::path() : exe;
}

// The command lxc-attach forked, while lxc-attach is still our child (after the SDK reaped it,
// its pid may belong to someone else).
std::vector<pid_t> attached_pids(const sdk::process_session& process) {
    const auto attach = static_cast<pid_t>(process.pid());
    const auto st = sdk::read_proc_stat(attach);
    if (process.finished() || !st || st->parent != ::getpid()) return {};
    // lxc-attach's children are, for a moment, copies of itself: the helper that enters the
    // container (it exits once the command is cloned) and the command before its exec. A
    // signal to one of them is not the command's: killing the helper makes lxc-attach report a
    // failed attach (exit 1) instead of the command's death. Only what runs another program
    // is the command.
    const auto self = exe_of(attach);
    auto pids = sdk::child_pids(attach);
    std::erase_if(pids, [&self](pid_t pid) { return self.empty() || exe_of(pid) == self; });
    return pids;
}

// The same, waiting (bounded) while lxc-attach is still entering the container.
std::vector<pid_t> command_pids(const sdk::process_session& process) {
    const auto deadline = std::chrono::steady_clock::now() + k_attach_wait;
    auto pids = attached_pids(process);
    while (pids.empty() && !process.finished() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(2));
        pids = attached_pids(process);
    }
    return pids;
}

}  // namespace

lxc_session_driver::lxc_session_driver(sdk::host_services host, lxc_options options,
                                       std::string owner_lxcpath)
    : host_(std::move(host)),
      options_(std::move(options)),
      owner_lxcpath_(std::move(owner_lxcpath)) {}

sdk::session_plan lxc_session_driver::prepare() {
    // Before anything is made: without lxc-attach a copied container would only be removed.
    if (!sdk::find_executable("lxc-attach"))
        throw sdk::error(BERTH_ERR_UNAVAILABLE,
                         std::string("lxc-attach not found in PATH: ") + k_lxc_install_hint);
    const session_container c = ready_container(options_, host_, owner_lxcpath_);
    target_ = c.name;
    if (c.owned) owned_ = c.name;
    destroy_ = c.destroy;
    sdk::session_plan plan;
    plan.process.argv = attach_argv(options_, target_);
    plan.process.tty = options_.tty;
    plan.process.rows = options_.rows;
    plan.process.cols = options_.cols;
    // lxc-attach keeps its caller's working directory when the container has the same path;
    // start from / so the host's cwd never decides where the command runs.
    plan.process.working_dir = "/";
    plan.target = target_;
    plan.install_hint = k_lxc_install_hint;
    // lxc-info for the diagnosis, then lxc-stop, lxc-destroy and the checks.
    plan.clean_up_bound =
        std::chrono::duration_cast<milliseconds>(options_.stop_timeout + 4 * k_tool_timeout);
    return plan;
}

void lxc_session_driver::abandon() noexcept {
    if (const std::string problem = remove_owned(); !problem.empty())
        host_.log(BERTH_LOG_ERROR, problem);
}

std::string lxc_session_driver::remove_owned() const {
    if (owned_.empty()) return {};
    return remove_container(options_.lxcpath, owned_, options_.stop_timeout, destroy_);
}

void lxc_session_driver::wait_ready(sdk::process_session& process) {
    if (!options_.tty || terminal_ready_) return;
    (void)command_pids(process);
    terminal_ready_ = true;
}

void lxc_session_driver::signal(int signo, sdk::process_session& process) {
    const auto pids = command_pids(process);
    if (pids.empty()) return process.signal(signo);  // no command (yet, or any more)
    for (const pid_t pid : pids)
        (void)sdk::signal_child(static_cast<pid_t>(process.pid()), pid, signo);
}

sdk::stop_result lxc_session_driver::stop(int signo, sdk::process_session& process) {
    const auto pids = attached_pids(process);
    for (const pid_t pid : pids)
        (void)sdk::signal_child(static_cast<pid_t>(process.pid()), pid, signo);
    // None: lxc-attach has not forked the command yet (the SDK asks again, then signals
    // lxc-attach), or it has just reaped it.
    return pids.empty() ? sdk::stop_result::not_yet : sdk::stop_result::reached;
}

sdk::exit_status lxc_session_driver::classify(const sdk::runtime_end& end) {
    sdk::exit_status status = end.process;
    if (!end.closing) {
        try {
            explain_attach_end(status, end.head, options_.lxcpath, target_);
        } catch (const std::exception& ex) {
            host_.log(BERTH_LOG_WARN, "could not diagnose the end of lxc-attach into " + target_ +
                                          ": " + ex.what());
        }
    }
    // lxc-attach passes a command's death by signal N on as exit 128+N, as a shell does; read
    // it as the signal, so a close reads the same as on every other runtime. A command that
    // itself exits with 143 reads as SIGTERM: lxc-attach leaves no way to tell.
    if (!status.failed && status.exit_code > 128 && status.exit_code < 128 + NSIG)
        status = sdk::exit_status::signal(status.exit_code - 128);
    return status;
}

void lxc_session_driver::clean_up(sdk::exit_status& status, const sdk::runtime_end& /*end*/) {
    const std::string problem = remove_owned();
    if (problem.empty()) return;
    host_.log(BERTH_LOG_ERROR, problem);
    host_.add_counter("cleanup_failures_total", 1);
    status.reason += (status.reason.empty() ? "" : "; ") + problem;
}

}  // namespace berth::plugins::lxc
