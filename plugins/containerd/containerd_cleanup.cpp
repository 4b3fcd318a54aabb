#include "containerd_cleanup.hpp"

#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>
#include <berth/sdk/run_command.hpp>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "containerd_argv.hpp"
#include "containerd_errors.hpp"

namespace berth::plugins::containerd {
namespace {

// Past the connect timeout, how long one clean-up call may take (task delete -f waits for the
// SIGKILLed process to be reaped).
constexpr std::chrono::seconds k_call_margin{10};

enum class step { ok, gone, unavailable, failed };

struct step_result {
    step outcome = step::failed;
    std::string problem;
};

// Runs one clean-up command; "not found" in any of its forms means there is nothing to do.
step_result run_step(const char* what, const argv& command, const leftover& item) {
    sdk::command_result r;
    try {
        r = sdk::run_command(command, item.conn.connect_timeout + k_call_margin);
    } catch (const std::exception& e) {
        return {step::failed, e.what()};
    }
    if (r.timed_out)
        return {step::failed, std::string("`ctr ") + what + "` timed out on " + item.conn.address};
    // `ctr task delete` exits with the deleted process's status (137 after SIGKILL); only a
    // "ctr: " line says it failed.
    const std::string line = ctr_error_line(r.err);
    if (r.exit_code == 0 || (r.exit_code > 0 && line.empty())) return {step::ok, {}};
    session_config context;
    context.conn = item.conn;
    const ctr_failure f =
        classify(line.empty() ? r.message() : line, ctr_phase::other, context, item.container);
    switch (f.kind) {
        case failure_kind::container_not_found:
        case failure_kind::task_not_running:
        case failure_kind::process_not_found:
            return {step::gone, {}};
        case failure_kind::daemon_unreachable:
        case failure_kind::connection_lost:
            return {step::unavailable, "containerd at " + item.conn.address + " did not answer"};
        default:
            return {step::failed, f.message};
    }
}

}  // namespace

void reclaim_owned(const connection& conn, const std::string& owner, std::uint32_t& removed) {
    // No ctr or no daemon socket here: containerd is not in use, so nothing of ours is left.
    std::error_code ec;
    if (!sdk::find_executable(conn.ctr) || !std::filesystem::exists(conn.address, ec)) return;
    const auto listed =
        sdk::run_command(list_owned(conn, owner), conn.connect_timeout + k_call_margin);
    if (!listed.ok())
        throw sdk::error(BERTH_ERR_RUNTIME, "cannot list the containers labelled " +
                                                std::string(BERTH_OWNER_LABEL) + "=" + owner +
                                                " in containerd at " + conn.address + ": " +
                                                listed.message());
    std::string problems;
    std::size_t pos = 0;
    while (pos < listed.out.size()) {
        std::size_t end = listed.out.find('\n', pos);
        if (end == std::string::npos) end = listed.out.size();
        const std::string id = listed.out.substr(pos, end - pos);
        pos = end + 1;
        if (id.empty()) continue;
        const leftover item{conn, id, {}};
        const auto outcome = remove_leftover(item);
        if (outcome.done) {
            ++removed;
        } else {
            problems += (problems.empty() ? "" : "; ") + outcome.problem +
                        " (remove with: " + removal_hint(item) + ")";
        }
    }
    if (!problems.empty()) throw sdk::error(BERTH_ERR_RUNTIME, problems);
}

cleanup_outcome remove_leftover(const leftover& item) {
    cleanup_outcome out;
    if (!item.exec_id.empty()) {
        const auto r = run_step("task delete --exec-id",
                                delete_exec(item.conn, item.container, item.exec_id), item);
        out.done = r.outcome == step::ok || r.outcome == step::gone;
        out.unavailable = r.outcome == step::unavailable;
        if (!out.done)
            out.problem = "exec process " + item.exec_id + " in container " + item.container +
                          ": " + r.problem;
        return out;
    }
    // The task first: a container with a task cannot be removed. Whatever the task step says
    // (but for a daemon that is away), removing the container is still worth a try.
    const auto task = run_step("task delete", delete_task(item.conn, item.container), item);
    if (task.outcome == step::unavailable) {
        out.unavailable = true;
        out.problem = "container " + item.container + ": " + task.problem;
        return out;
    }
    const auto container =
        run_step("container rm", remove_container(item.conn, item.container), item);
    out.done = container.outcome == step::ok || container.outcome == step::gone;
    out.unavailable = container.outcome == step::unavailable;
    if (!out.done) {
        out.problem = "container " + item.container + ": " + container.problem;
        if (task.outcome == step::failed)
            out.problem += " (deleting its task: " + task.problem + ")";
    }
    return out;
}

std::string remove_or_remember(leftover item, leftover_list& later) {
    const cleanup_outcome outcome = remove_leftover(item);
    if (outcome.done) return {};
    std::string what = "could not remove " + outcome.problem;
    if (outcome.unavailable) {
        what += "; it is removed when this plugin sees containerd answer again, or by hand: " +
                removal_hint(item);
        later.add(std::move(item));
    }
    return what;
}

std::string removal_hint(const leftover& item) {
    const std::string ctr = "ctr -a " + item.conn.address + " -n " + item.conn.ns;
    if (!item.exec_id.empty())
        return "`" + ctr + " task delete -f --exec-id " + item.exec_id + " " + item.container + "`";
    return "`" + ctr + " task delete -f " + item.container + "; " + ctr + " container rm " +
           item.container + "`";
}

void leftover_list::add(leftover item) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
}

std::size_t leftover_list::retry(const std::string& address) {
    std::lock_guard pass(retry_mutex_);
    std::vector<leftover> todo;
    {
        std::lock_guard lock(mutex_);
        auto keep = std::stable_partition(items_.begin(), items_.end(), [&](const leftover& l) {
            return !address.empty() && l.conn.address != address;
        });
        todo.assign(std::make_move_iterator(keep), std::make_move_iterator(items_.end()));
        items_.erase(keep, items_.end());
    }
    std::vector<leftover> still;
    std::vector<std::string> silent;  // addresses that did not answer in this pass
    for (auto& item : todo) {
        // One timeout per dead daemon, not one per item.
        if (std::find(silent.begin(), silent.end(), item.conn.address) != silent.end()) {
            still.push_back(std::move(item));
            continue;
        }
        const cleanup_outcome outcome = remove_leftover(item);
        if (outcome.unavailable) silent.push_back(item.conn.address);
        if (!outcome.done) still.push_back(std::move(item));
    }
    std::lock_guard lock(mutex_);
    for (auto& item : still) items_.push_back(std::move(item));
    return items_.size();
}

std::size_t leftover_list::size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
}

std::vector<leftover> leftover_list::items() const {
    std::lock_guard lock(mutex_);
    return items_;
}

}  // namespace berth::plugins::containerd
