// A session's processes inside the container, found on the host through the token in their
// environment.
//
// Why: `podman exec` forwards no signals (podman 4.3 has no --sig-proxy for exec) and a
// killed `podman exec` leaves its process running in the container; `podman run` proxies
// signals only once the container runs (a SIGTERM while it is being created makes podman
// exit 0 and leaves the container behind). So signals and clean-up go straight to the
// container's processes: every process a session starts carries k_token_env=<token> in its
// environment (children inherit it), and root on the same host can see and signal them.
// This does not work for a remote podman service, nor for a rootless container's processes
// owned by subordinate ids; callers fall back to signalling podman there.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::plugins::podman {

struct token_process {
    pid_t pid = -1;
    pid_t parent = -1;
    std::uint64_t start_ticks = 0;  // when it started, in clock ticks since boot
};

class container_processes {
public:
    // variable=token is what the session's processes carry in their environment.
    container_processes(std::string_view variable, std::string_view token,
                        std::filesystem::path proc_root = "/proc");

    // Every live process carrying the token.
    [[nodiscard]] std::vector<token_process> find() const;

    // The session's main process: the earliest started one whose parent does not carry the
    // token (conmon, or the container's init for an exec'd command), nullopt if none runs.
    [[nodiscard]] std::optional<token_process> leader() const;

    // leader(), asked again while the container is still being created (its process shows up
    // late) until `deadline`, as long as `ended` (waiting up to its argument) says the runtime
    // still runs; nullopt once it ended or the deadline passed.
    [[nodiscard]] std::optional<token_process> leader_by(
        std::chrono::steady_clock::time_point deadline,
        const std::function<bool(std::chrono::milliseconds)>& ended) const;

    // Sends signo to pid if it still is a process of this session (checked through a pidfd,
    // so a reused pid is never hit). 0 on success, else an errno value: ESRCH when it is
    // gone or no longer ours, EPERM when it is out of reach.
    [[nodiscard]] int signal(pid_t pid, int signo) const;

    // Signals every process of the session; the number that were signalled.
    std::size_t signal_all(int signo) const;

private:
    [[nodiscard]] bool carries_token(pid_t pid) const;

    std::string needle_;  // "VAR=token"
    std::filesystem::path proc_;
};

}  // namespace berth::plugins::podman
