// One console session through ctr.
//
// Run mode (image): `ctr run -d` starts a container whose init only waits, then the command
// joins it with `ctr task exec`; the session's end removes the task, the container and its
// snapshot. Exec mode (container): only the `ctr task exec`. Both ways the session's process
// is that `ctr task exec`, with pipes or on a terminal, driven by the SDK's process helper.
//
// When the ctr process ends, its exit is classified and clean-up runs on the session's own
// worker thread (never the event loop's); the exit is forwarded to the host only after that.
#pragma once

#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>

#include <memory>

#include "containerd_cleanup.hpp"
#include "containerd_options.hpp"

namespace berth::plugins::containerd {

class containerd_session final : public sdk::session {
public:
    // Starts the session. Throws sdk::error with a classified message (image not found,
    // container id taken, daemon unreachable, ...); nothing is left behind then.
    containerd_session(sdk::event_loop& loop, session_config config, sdk::session_sink sink,
                       sdk::host_services host, std::shared_ptr<leftover_list> leftovers);
    // Closes a running session first (default grace).
    ~containerd_session() override;
    containerd_session(const containerd_session&) = delete;
    containerd_session& operator=(const containerd_session&) = delete;

    void write(std::span<const std::uint8_t> data) override;
    void close_stdin() override;
    void resize(std::uint16_t rows, std::uint16_t cols) override;
    // To the exec process, through containerd (`ctr task kill --exec-id`).
    void signal(int signo) override;
    // SIGTERM to the command, SIGKILL after grace, then clean-up; returns once the exit was
    // forwarded.
    void close(std::chrono::milliseconds grace) override;
    // The `ctr task exec` process.
    [[nodiscard]] std::int64_t pid() const override;

    struct core;  // what the exit path needs; outlives nothing it points to

private:
    void start(sdk::event_loop& loop);  // creates the container (run mode) and spawns ctr
    void send_through_ctr(int signo) const;
    void kill_command() const;

    std::unique_ptr<core> core_;
    std::unique_ptr<sdk::process_session> process_;
};

}  // namespace berth::plugins::containerd
