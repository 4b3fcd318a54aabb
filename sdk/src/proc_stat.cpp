#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <berth/sdk/pidfd.hpp>
#include <berth/sdk/proc_stat.hpp>
#include <berth/sdk/unique_fd.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <fstream>
#include <string_view>
#include <vector>

namespace berth::sdk {
namespace {

template <typename T>
std::optional<T> number(std::string_view text) {
    T value{};
    const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

std::string read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
    const unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    std::string out;
    if (!fd) return out;
    std::array<char, 16384> buf{};
    while (out.size() < max_bytes) {
        const ssize_t n =
            ::read(fd.get(), buf.data(), std::min(buf.size(), max_bytes - out.size()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
    return out;
}

std::optional<proc_stat> read_proc_stat(pid_t pid, const std::filesystem::path& proc_root) {
    if (pid <= 0) return std::nullopt;
    const std::string text = read_small_file(proc_root / std::to_string(pid) / "stat", 4096);
    // "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::vector<std::string_view> fields;  // fields[0] is the state, field 3 of stat
    std::string_view rest = std::string_view(text).substr(close + 1);
    while (!rest.empty() && fields.size() < 20) {
        const auto b = rest.find_first_not_of(" \n");
        if (b == std::string_view::npos) break;
        rest.remove_prefix(b);
        const auto e = rest.find_first_of(" \n");
        fields.push_back(rest.substr(0, e));
        if (e == std::string_view::npos) break;
        rest.remove_prefix(e);
    }
    if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
    const auto parent = number<pid_t>(fields[1]);
    const auto flags = number<std::uint64_t>(fields[6]);   // field 9
    const auto start = number<std::uint64_t>(fields[19]);  // field 22
    if (!parent || !flags || !start) return std::nullopt;
    return proc_stat{fields[0][0], *parent, *flags, *start};
}

std::chrono::milliseconds process_age(const proc_stat& st) {
    timespec now{};
    (void)::clock_gettime(CLOCK_BOOTTIME, &now);
    const auto ticks = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
    const auto started = std::chrono::milliseconds(st.start_ticks * 1000 / ticks);
    const auto up =
        std::chrono::seconds(now.tv_sec) + std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::nanoseconds(now.tv_nsec));
    return std::max(std::chrono::milliseconds(0), up - started);
}

bool init_would_drop(pid_t pid, int signo, const std::filesystem::path& proc_root) {
    if (pid <= 0 || signo <= 0 || signo > 64 || signo == SIGKILL || signo == SIGSTOP) return false;
    const std::string text = read_small_file(proc_root / std::to_string(pid) / "status", 16384);
    bool namespace_init = false;
    std::uint64_t wanted = 0;  // the SigBlk, SigIgn and SigCgt masks together
    int masks = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto eol = rest.find('\n');
        const std::string_view line = rest.substr(0, eol);
        rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view key = line.substr(0, colon);
        std::string_view value = line.substr(colon + 1);
        value.remove_prefix(std::min(value.size(), value.find_first_not_of(" \t")));
        if (key == "NSpid") {
            // "NSpid: 4711 1": the pid in each namespace, innermost last.
            const auto last = value.find_last_of(" \t");
            namespace_init =
                number<pid_t>(last == std::string_view::npos ? value : value.substr(last + 1)) ==
                pid_t{1};
        } else if (key == "SigBlk" || key == "SigIgn" || key == "SigCgt") {
            std::uint64_t mask = 0;
            const auto r = std::from_chars(value.data(), value.data() + value.size(), mask, 16);
            if (r.ec != std::errc()) return false;
            wanted |= mask;
            ++masks;
        }
    }
    // An ignored signal is lost whenever it comes: waiting would not help, so it counts as
    // taken here.
    const std::uint64_t bit = std::uint64_t{1} << (signo - 1);
    return namespace_init && masks == 3 && (wanted & bit) == 0;
}

std::vector<pid_t> child_pids(pid_t parent, const std::filesystem::path& proc_root) {
    std::vector<pid_t> pids;
    if (parent <= 0) return pids;
    const std::string self = std::to_string(parent);
    std::ifstream in(proc_root / self / "task" / self / "children");
    for (long pid = 0; in >> pid;) pids.push_back(static_cast<pid_t>(pid));
    return pids;
}

int signal_child(pid_t parent, pid_t pid, int signo) {
    const unique_fd fd(pidfd_open_fd(pid));
    if (!fd) return errno;
    const auto st = read_proc_stat(pid);
    if (!st || st->gone() || st->parent != parent) return ESRCH;
    return pidfd_signal(fd.get(), signo) == 0 ? 0 : errno;
}

}  // namespace berth::sdk
