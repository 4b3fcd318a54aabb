// One console session in a podman container: `podman run --rm -i [-t]` (run mode) or
// `podman exec -i [-t]` (exec mode), driven by the SDK's process-session helper.
//
// Ending a session, in order:
//  1. close() sends SIGTERM (and SIGHUP on a terminal) to the session's processes in the
//     container, found on the host through their token (container_processes.hpp), and waits
//     up to the grace period for podman to report their end;
//  2. then SIGKILL to whatever of them is left; podman then exits by itself (only if it does
//     not, or the service is remote, is podman itself killed);
//  3. on the plugin's worker thread, so the event loop never blocks: a run-mode container is
//     force-removed (`podman rm -f -t 0`), an exec'd command's leftover processes are
//     killed (watched for 1 s if podman had to be killed: it may still start its process);
//  4. the exit goes to the host once that clean-up is done, and close() returns after it.
// A session that ends by itself needs none of this: `podman run --rm` removed the container,
// and the exit is reported straight from the event loop.
#pragma once

#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>
#include <berth/sdk/worker.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>

#include "podman_options.hpp"

namespace berth::plugins::podman {

class podman_session final : public sdk::session {
public:
    // Starts podman. Throws sdk::error: BERTH_ERR_UNAVAILABLE when the podman binary is
    // missing, or what the process helper reports.
    podman_session(sdk::event_loop& loop, sdk::worker& worker, sdk::host_services host,
                   podman_options options, sdk::session_sink sink);
    ~podman_session() override;
    podman_session(const podman_session&) = delete;
    podman_session& operator=(const podman_session&) = delete;

    void write(std::span<const std::uint8_t> data) override;
    void close_stdin() override;
    void resize(std::uint16_t rows, std::uint16_t cols) override;
    // To the command's main process in the container (see container_processes.hpp); in run
    // mode through podman's --sig-proxy when that process is out of reach.
    void signal(int signo) override;
    void close(std::chrono::milliseconds grace) override;
    [[nodiscard]] std::int64_t pid() const override;

    struct state;

private:
    // SIGTERM to the session's container processes, SIGKILL after grace; true once podman
    // has exited (by itself, as its command ended).
    bool stop_container_processes(std::chrono::milliseconds grace);

    std::shared_ptr<state> state_;  // shared with the helper's callbacks and worker jobs
    std::unique_ptr<sdk::process_session> process_;
};

}  // namespace berth::plugins::podman
