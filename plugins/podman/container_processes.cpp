#include "container_processes.hpp"

#include <unistd.h>
#include <berth/sdk/pidfd.hpp>
#include <berth/sdk/proc_stat.hpp>
#include <berth/sdk/unique_fd.hpp>

#include <cerrno>
#include <charconv>
#include <set>

namespace berth::plugins::podman {
namespace {

std::optional<pid_t> pid_of(std::string_view name) {
    pid_t value{};
    const auto r = std::from_chars(name.data(), name.data() + name.size(), value);
    if (r.ec != std::errc() || r.ptr != name.data() + name.size()) return std::nullopt;
    return value;
}

// Parent and start time, skipping zombies (their environ is empty anyway, but a zombie must
// never be picked as a leader).
std::optional<token_process> read_stat(const std::filesystem::path& proc, pid_t pid) {
    const auto st = sdk::read_proc_stat(pid, proc);
    if (!st || st->gone()) return std::nullopt;
    return token_process{pid, st->parent, st->start_ticks};
}

}  // namespace

container_processes::container_processes(std::string_view variable, std::string_view token,
                                         std::filesystem::path proc_root)
    : needle_(std::string(variable) + "=" + std::string(token)), proc_(std::move(proc_root)) {}

bool container_processes::carries_token(pid_t pid) const {
    const std::string env = sdk::read_small_file(proc_ / std::to_string(pid) / "environ");
    // Entries are NUL-terminated "K=V"; match a whole entry.
    std::size_t at = 0;
    while ((at = env.find(needle_, at)) != std::string::npos) {
        const bool starts = at == 0 || env[at - 1] == '\0';
        const std::size_t end = at + needle_.size();
        if (starts && (end == env.size() || env[end] == '\0')) return true;
        at = end;
    }
    return false;
}

std::vector<token_process> container_processes::find() const {
    std::vector<token_process> found;
    std::error_code ec;
    const pid_t self = ::getpid();
    for (std::filesystem::directory_iterator it(proc_, ec), end; !ec && it != end;
         it.increment(ec)) {
        const auto pid = pid_of(it->path().filename().native());
        if (!pid || *pid == self || !carries_token(*pid)) continue;
        if (auto p = read_stat(proc_, *pid)) found.push_back(*p);
    }
    return found;
}

std::optional<token_process> container_processes::leader() const {
    const auto all = find();
    std::set<pid_t> ours;
    for (const auto& p : all) ours.insert(p.pid);
    std::optional<token_process> best;
    for (const auto& p : all) {
        if (ours.contains(p.parent)) continue;
        if (!best || p.start_ticks < best->start_ticks ||
            (p.start_ticks == best->start_ticks && p.pid < best->pid))
            best = p;
    }
    return best;
}

std::optional<token_process> container_processes::leader_by(
    std::chrono::steady_clock::time_point deadline,
    const std::function<bool(std::chrono::milliseconds)>& ended) const {
    constexpr std::chrono::milliseconds k_poll{50};
    while (true) {
        if (auto found = leader()) return found;
        if (std::chrono::steady_clock::now() >= deadline || ended(k_poll)) return std::nullopt;
    }
}

int container_processes::signal(pid_t pid, int signo) const {
    const sdk::unique_fd fd(sdk::pidfd_open_fd(pid));
    if (!fd) return errno;
    // The pidfd pins this process: if it still carries the token, the signal reaches it
    // and not a newcomer that took over the pid.
    if (!carries_token(pid)) return ESRCH;
    if (sdk::pidfd_signal(fd.get(), signo) != 0) return errno;
    return 0;
}

std::size_t container_processes::signal_all(int signo) const {
    std::size_t count = 0;
    for (const auto& p : find())
        if (signal(p.pid, signo) == 0) ++count;
    return count;
}

}  // namespace berth::plugins::podman
