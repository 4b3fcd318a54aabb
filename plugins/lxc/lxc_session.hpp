// What is LXC's own in a session, on the SDK's session lifecycle (runtime_session.hpp):
// lxc-attach into a running container, plus the container the session owns (an ephemeral
// copy, or a created one to destroy).
//
// Signals go to the attached command, not to lxc-attach: lxc-attach forwards none (SIGTERM to
// it leaves the command running in the container), and the command is its direct child. How
// an attach ended is read by lxc_tools' explain_attach_end.
#pragma once

#include <berth/sdk/runtime_session.hpp>

#include <atomic>
#include <chrono>

#include "lxc_options.hpp"
#include "lxc_tools.hpp"

namespace berth::plugins::lxc {

class lxc_session_driver final : public sdk::session_driver {
public:
    // owner_lxcpath: where the owner mark of a container the session makes goes
    // (options.lxcpath or LXC's default, resolved by the plugin); empty: no mark.
    lxc_session_driver(sdk::host_services host, lxc_options options, std::string owner_lxcpath);

    // Attaches, copies or creates the container (lxc_options.hpp's three modes), blocking but
    // bounded, and marks what the session owns with the host's owner.
    sdk::session_plan prepare() override;
    void abandon() noexcept override;
    // On a terminal, until lxc-attach has forked the command: it switches its terminal to raw
    // mode with TCSAFLUSH, which throws away what was typed before.
    void wait_ready(sdk::process_session& process) override;
    // To lxc-attach's child, the command; to lxc-attach only while there is none.
    void signal(int signo, sdk::process_session& process) override;
    sdk::stop_result stop(int signo, sdk::process_session& process) override;
    // A failed attach from lxc-attach's first words; 128+N as signal N.
    sdk::exit_status classify(const sdk::runtime_end& end) override;
    void clean_up(sdk::exit_status& status, const sdk::runtime_end& end) override;  // owned_ goes

private:
    [[nodiscard]] std::string remove_owned() const;

    const sdk::host_services host_;
    const lxc_options options_;
    const std::string owner_lxcpath_;
    std::string target_;
    std::string owned_;     // the container the session removes; empty: none
    bool destroy_ = false;  // lxc-destroy after stopping; an ephemeral copy vanishes on stop
    std::atomic<bool> terminal_ready_{false};
};

}  // namespace berth::plugins::lxc
