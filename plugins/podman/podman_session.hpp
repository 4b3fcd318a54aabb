// What is podman's own in a session of `podman run --rm -i [-t]` (run mode) or `podman exec
// -i [-t]` (exec mode), on the SDK's session lifecycle (runtime_session.hpp):
//  - signals and stops go straight to the session's processes in the container, found on the
//    host through their token (container_processes.hpp): `podman exec` forwards no signals and
//    `podman run` only once the container runs; run mode falls back to podman's --sig-proxy,
//    and a remote service is reached through podman alone;
//  - the exit is read from podman's status and last words (podman_exit.hpp); an exec'd
//    command killed by a signal nobody here sent asks podman whether its container went;
//  - clean-up: a closed or podman-killed run-mode container is force-removed (`podman rm -f
//    -t 0`: `--rm` is podman's job only when podman lived to do it), an exec'd command's
//    leftover processes are killed (watched for 1 s when podman was killed: it may still start
//    its process). A session that ends by itself needs none of this.
#pragma once

#include <berth/sdk/runtime_session.hpp>

#include <atomic>
#include <chrono>

#include "container_processes.hpp"
#include "podman_argv.hpp"
#include "podman_options.hpp"

namespace berth::plugins::podman {

class podman_session_driver final : public sdk::session_driver {
public:
    podman_session_driver(sdk::host_services host, podman_options options);

    sdk::session_plan prepare() override;
    // On a local terminal, until the container's process exists: podman sets its terminal up
    // first, and an EOF typed before that (a close right after open) is lost.
    void wait_ready(sdk::process_session& process) override;
    void signal(int signo, sdk::process_session& process) override;
    sdk::stop_result stop(int signo, sdk::process_session& process) override;
    sdk::exit_status classify(const sdk::runtime_end& end) override;
    void clean_up(sdk::exit_status& status, const sdk::runtime_end& end) override;

private:
    [[nodiscard]] bool run_mode() const noexcept { return options_.mode == session_mode::run; }
    // podman itself got a signal, from the SDK or from signal(): its exit status and its own
    // clean-up are not to be trusted (a SIGTERM while it creates the container makes it exit 0
    // and leave the container behind).
    [[nodiscard]] bool podman_killed(const sdk::runtime_end& end) const;
    // Waits (bounded by `deadline` and by how young the process is) while the container's PID 1
    // would drop signo because it has not yet set up to take it. False when podman ended.
    [[nodiscard]] static bool await_setup(pid_t pid, int signo,
                                          std::chrono::steady_clock::time_point deadline,
                                          sdk::process_session& process);
    void remove_container(sdk::exit_status& status) const;
    void kill_stragglers(int rounds) const;

    const sdk::host_services host_;
    const podman_options options_;
    const session_ids ids_;
    const container_processes processes_;
    std::atomic<bool> podman_signalled_{false};
    std::atomic<bool> ready_{false};
};

}  // namespace berth::plugins::podman
