// One console session: lxc-attach into a running container through the SDK's process helper,
// plus the container the session owns (an ephemeral copy, or a created one to destroy).
//
// Threads: output flows on the plugin's event loop; when lxc-attach exits, the session's own
// worker thread diagnoses a failed attach (lxc-info), removes the owned container and only
// then reports the exit to the host, so on_exit comes after the last output and after
// clean-up, exactly once. close() waits (bounded) for that.
//
// Signals go to the attached command, not to lxc-attach: lxc-attach forwards none (SIGTERM to
// it leaves the command running in the container), and the command is its direct child.
#pragma once

#include <sys/types.h>
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/plugin.hpp>
#include <berth/sdk/process_session.hpp>
#include <berth/sdk/worker.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lxc_options.hpp"

namespace berth::plugins::lxc {

// A container the session made and removes when it ends.
struct owned_container {
    std::string name;      // empty: nothing to remove
    bool destroy = false;  // lxc-destroy after stopping; an ephemeral copy vanishes on stop
    std::chrono::seconds stop_timeout{0};
};

class lxc_session final : public sdk::session {
public:
    // Starts lxc-attach into `target`, which must be running. Owns `owned` from here on: when
    // lxc-attach cannot be started, removes it before throwing.
    lxc_session(sdk::event_loop& loop, sdk::host_services host, const lxc_options& options,
                std::string target, owned_container owned, sdk::session_sink sink);
    ~lxc_session() override;
    lxc_session(const lxc_session&) = delete;
    lxc_session& operator=(const lxc_session&) = delete;

    void write(std::span<const std::uint8_t> data) override;
    void close_stdin() override;
    void resize(std::uint16_t rows, std::uint16_t cols) override;
    void signal(int signo) override;
    void close(std::chrono::milliseconds grace) override;
    [[nodiscard]] std::int64_t pid() const override;

private:
    void on_output(berth_stream stream, std::span<const std::uint8_t> data);
    void finish(sdk::process_exit exit, const std::string& early_output);  // on worker_
    void diagnose(sdk::exit_status& status, const std::string& early_output) const;
    [[nodiscard]] std::vector<pid_t> attached_pids() const;
    void wait_terminal_ready();
    [[nodiscard]] bool wait_done(std::chrono::milliseconds timeout);
    [[nodiscard]] std::chrono::milliseconds cleanup_bound() const;

    sdk::host_services host_;
    sdk::session_sink sink_;
    std::string lxcpath_;
    std::string target_;
    owned_container owned_;
    bool tty_;

    std::string early_output_;  // loop thread: the start of stderr / the terminal
    std::atomic<bool> closing_{false};
    std::atomic<bool> terminal_ready_{false};

    std::mutex mutex_;
    std::condition_variable done_changed_;
    bool done_ = false;  // on_exit delivered and clean-up over
    std::string cleanup_error_;

    sdk::worker worker_;
    // Last: destroyed first, while the members its callbacks use still exist.
    std::unique_ptr<sdk::process_session> process_;
};

}  // namespace berth::plugins::lxc
