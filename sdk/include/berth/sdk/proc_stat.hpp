// What /proc/PID/stat says about a process: for plugins that find and signal the processes a
// runtime started for them (a container's command is not their child). Read it right before
// acting on a pid, and act through a pidfd (pidfd.hpp) so a recycled pid is never hit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace berth::sdk {

struct proc_stat {
    char state = '?';               // R, S, D, Z, X, ... (field 3)
    pid_t parent = -1;              // field 4
    std::uint64_t flags = 0;        // PF_* bits (field 9)
    std::uint64_t start_ticks = 0;  // clock ticks after boot it started (field 22)

    // A zombie or a dead process: nothing to signal any more.
    [[nodiscard]] bool gone() const noexcept { return state == 'Z' || state == 'X'; }
    // On its way out (PF_EXITING): a container's init that is being stopped still reads as
    // running to the runtime at that moment.
    [[nodiscard]] bool exiting() const noexcept { return (flags & 0x4U) != 0; }
};

// nullopt when the process does not exist or its stat cannot be read. proc_root is for tests.
[[nodiscard]] std::optional<proc_stat> read_proc_stat(
    pid_t pid, const std::filesystem::path& proc_root = "/proc");

// How long ago the process started (CLOCK_BOOTTIME, the clock start_ticks counts in).
[[nodiscard]] std::chrono::milliseconds process_age(const proc_stat& st);

// True when signo sent to pid now would be dropped by the kernel: pid is the init of a pid
// namespace (a container's PID 1), which gets from outside only the signals it handles or
// blocks (and SIGKILL/SIGSTOP). A container's shell that has not yet set its trap, or an init
// such as catatonit before it has blocked the signals it forwards, loses what comes that early.
// False when the process cannot be read.
[[nodiscard]] bool init_would_drop(pid_t pid, int signo,
                                   const std::filesystem::path& proc_root = "/proc");

// The children of `parent` (of its main thread), from /proc; empty when it is gone.
[[nodiscard]] std::vector<pid_t> child_pids(pid_t parent,
                                            const std::filesystem::path& proc_root = "/proc");

// Sends signo to pid only while it is a live child of `parent`: the process is pinned by a
// pidfd and its parent checked after that, so a recycled pid is never hit. 0 on success, else
// an errno value (ESRCH: gone or no longer parent's child).
int signal_child(pid_t parent, pid_t pid, int signo);

// The whole of a small file such as /proc/PID/environ, at most max_bytes; empty when it cannot
// be read.
[[nodiscard]] std::string read_small_file(const std::filesystem::path& path,
                                          std::size_t max_bytes = std::size_t{1} << 20);

}  // namespace berth::sdk
