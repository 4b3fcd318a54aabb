// One console session through LXD's exec API: the command runs in an instance (an existing one,
// or one launched for the session and deleted at its end), its streams are WebSockets, signals
// and window sizes go over the operation's control socket, and the exit status is the
// operation's return value.
//
// Closing works as on every berth runtime: input closed first (a shell ends there, exit 0),
// SIGTERM (and SIGHUP on a terminal), SIGKILL once the grace period has passed, and then the
// control socket is dropped, which makes LXD kill the command itself. on_exit comes once, after
// the last output and after a launched instance was deleted, unless the handle was destroyed.
//
// The exit record comes from the operation's return value (lxd_exit.hpp).
#pragma once

#include <berth/sdk/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "lxd_options.hpp"
#include "lxd_runtime.hpp"

namespace berth::plugins::lxd {

struct exec_state;

class exec_session final : public sdk::session {
public:
    static constexpr std::uint64_t k_streams = BERTH_CAP_PIPES | BERTH_CAP_PTY;

    // Launches the instance (launch mode), starts the command and connects its sockets:
    // blocking, bounded by the options' timeouts. Throws sdk::error with nothing left behind.
    [[nodiscard]] static std::unique_ptr<exec_session> open(lxd_runtime& rt, lxd_options options,
                                                            sdk::session_sink sink);

    ~exec_session() override;
    exec_session(const exec_session&) = delete;
    exec_session& operator=(const exec_session&) = delete;

    void write(std::span<const std::uint8_t> data) override;
    void close_stdin() override;
    void resize(std::uint16_t rows, std::uint16_t cols) override;
    void signal(int signo) override;
    void close(std::chrono::milliseconds grace) override;
    [[nodiscard]] const std::string& target() const override;
    [[nodiscard]] bool tty() const override;

private:
    explicit exec_session(std::shared_ptr<exec_state> s) : state_(std::move(s)) {}
    // `wait`: for the I/O thread to have sent it (bounded); close() does not wait.
    void end_input(bool wait);
    void send_signal(int signo, bool wait);
    void forget_signal(int signo);
    std::shared_ptr<exec_state> state_;
};

}  // namespace berth::plugins::lxd
