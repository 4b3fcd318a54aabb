// One console session of the ABI 1.0 test plugin: a process on the host with pipes or a
// terminal, its output pumped to the host's sink by a thread of its own.
#pragma once

#include <berth/plugin.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "abi10_spawn.hpp"

namespace berth::abi10 {

// A failed call: the status the C function returns and the words last_error gives.
class plugin_error : public std::runtime_error {
public:
    plugin_error(berth_status status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    [[nodiscard]] berth_status status() const noexcept { return status_; }

private:
    berth_status status_;
};

class session {
public:
    session(child c, bool tty, const berth_session_sink& sink);
    // Closes a session still running (the 1.0 contract: "closed first"), then waits for the
    // pump thread, which has delivered on_exit by then.
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    void write(const std::uint8_t* data, std::uint32_t length);
    void close_stdin();
    void resize(std::uint16_t rows, std::uint16_t cols);
    void signal(int signo);
    // Input first, then SIGTERM (and SIGHUP on a terminal), SIGKILL once grace has passed;
    // returns when on_exit has been delivered. Throws BERTH_ERR_TIMEOUT when even SIGKILL
    // did not end the command in time.
    void close(std::chrono::milliseconds grace);
    [[nodiscard]] std::int64_t pid() const noexcept { return child_.pid; }

private:
    void pump();
    // Reads once from d and hands the bytes to the sink; false at the stream's end.
    bool read_once(int d, berth_stream stream);
    void close_input();
    void signal_group(int signo);
    bool wait_ended(std::chrono::steady_clock::time_point until);
    [[nodiscard]] bool ended();

    child child_;
    const bool tty_;
    const berth_session_sink sink_;
    fd wake_;  // an eventfd: close() gives up on a command SIGKILL did not end

    std::mutex input_mutex_;  // one writer at a time; guards input_closed_
    bool input_closed_ = false;

    std::mutex mutex_;  // guards the two below
    std::condition_variable changed_;
    bool reaped_ = false;  // the pid may be someone else's from now on: no more signals
    bool ended_ = false;   // on_exit has returned

    std::thread pump_;  // last: it starts once everything above is ready
};

}  // namespace berth::abi10
