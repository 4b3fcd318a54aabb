#include "container_processes.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <set>

namespace berth::plugins::podman {
namespace {

// Closes a descriptor on every path out.
class fd_guard {
public:
    explicit fd_guard(int fd) noexcept : fd_(fd) {}
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

// The whole of a small /proc file (environ can be large: bounded at 1 MiB).
std::string read_file(const std::filesystem::path& path) {
    const fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    std::string out;
    if (fd.get() < 0) return out;
    std::array<char, 16384> buf{};
    while (out.size() < (std::size_t{1} << 20)) {
        const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
    return out;
}

template <typename T>
std::optional<T> number(std::string_view text) {
    T value{};
    const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
    return value;
}

// Parent and start time from /proc/PID/stat, skipping zombies (their environ is empty
// anyway, but a zombie must never be picked as a leader).
std::optional<token_process> read_stat(const std::filesystem::path& proc, pid_t pid) {
    const std::string stat = read_file(proc / std::to_string(pid) / "stat");
    // "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::vector<std::string_view> fields;  // fields[0] is the state (field 3 of stat)
    std::string_view rest = std::string_view(stat).substr(close + 1);
    while (!rest.empty()) {
        const auto b = rest.find_first_not_of(' ');
        if (b == std::string_view::npos) break;
        rest.remove_prefix(b);
        const auto e = rest.find(' ');
        fields.push_back(rest.substr(0, e));
        if (e == std::string_view::npos) break;
        rest.remove_prefix(e);
    }
    if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X") return std::nullopt;
    const auto parent = number<pid_t>(fields[1]);
    const auto start = number<std::uint64_t>(fields[19]);  // field 22: starttime
    if (!parent || !start) return std::nullopt;
    return token_process{pid, *parent, *start};
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int pidfd_send_signal(int pidfd, int signo) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0));
}

}  // namespace

container_processes::container_processes(std::string_view variable, std::string_view token,
                                         std::filesystem::path proc_root)
    : needle_(std::string(variable) + "=" + std::string(token)), proc_(std::move(proc_root)) {}

bool container_processes::carries_token(pid_t pid) const {
    const std::string env = read_file(proc_ / std::to_string(pid) / "environ");
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
        const auto pid = number<pid_t>(it->path().filename().native());
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

int container_processes::signal(pid_t pid, int signo) const {
    const fd_guard fd(pidfd_open(pid));
    if (fd.get() < 0) return errno;
    // The pidfd pins this process: if it still carries the token, the signal reaches it
    // and not a newcomer that took over the pid.
    if (!carries_token(pid)) return ESRCH;
    if (pidfd_send_signal(fd.get(), signo) != 0) return errno;
    return 0;
}

std::size_t container_processes::signal_all(int signo) const {
    std::size_t count = 0;
    for (const auto& p : find())
        if (signal(p.pid, signo) == 0) ++count;
    return count;
}

}  // namespace berth::plugins::podman
