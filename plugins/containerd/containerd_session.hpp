// What is containerd's own in a session, on the SDK's session lifecycle
// (berth/sdk/runtime_session.hpp), which owns closing, the exit-after-clean-up gate and the
// threads.
//
// Run mode (image): `ctr run -d` starts a container whose init only waits, then the command
// joins it with `ctr task exec`; the session's end removes the task, the container and its
// snapshot. Exec mode (container): only the `ctr task exec`. Both ways the session's process
// is that `ctr task exec`, in a FIFO folder of the session's own (ctr leaves its FIFOs behind
// when it is killed).
//
// Signals go through containerd (containerd_ctr.hpp), never to ctr: ctr forwards them only
// once the process runs (one arriving earlier kills ctr and orphans the process), and never on
// a terminal or for SIGKILL. What cannot be removed while the daemon is away goes to the
// plugin's leftover list, removed once it answers again.
#pragma once

#include <berth/sdk/runtime_session.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "containerd_cleanup.hpp"
#include "containerd_options.hpp"

namespace berth::plugins::containerd {

class containerd_session_driver final : public sdk::session_driver {
public:
    containerd_session_driver(sdk::host_services host, session_config config,
                              std::shared_ptr<leftover_list> leftovers);

    // Creates the run-mode container (removing what a failed `ctr run` left) and the FIFO
    // folder; throws sdk::error with a classified message.
    sdk::session_plan prepare() override;
    void abandon() noexcept override;  // the container and the FIFO folder go
    void started(sdk::process_session& process) noexcept override;  // ctr's terminal raw
    // Through `ctr task kill --exec-id`, retried while the process does not exist yet.
    void signal(int signo, sdk::process_session& process) override;
    // SIGKILL goes to the whole task in run mode; once the daemon did not answer, ctr itself.
    sdk::stop_result stop(int signo, sdk::process_session& process) override;
    // ctr's last "ctr: " line, and `ctr tasks ls` when a signal nobody sent ended the command.
    sdk::exit_status classify(const sdk::runtime_end& end) override;
    // Removes exec process or container; what the daemon cannot take now waits in leftovers_.
    void clean_up(sdk::exit_status& status, const sdk::runtime_end& end) override;

private:
    [[nodiscard]] const std::string& target() const { return config_.target(); }
    void remove_fifo_dir() const;

    const sdk::host_services host_;
    session_config config_;
    const std::shared_ptr<leftover_list> leftovers_;
    std::string exec_id_;
    std::filesystem::path fifo_dir_;
    std::atomic<bool> daemon_away_{false};  // a close's call found containerd not answering
};

}  // namespace berth::plugins::containerd
