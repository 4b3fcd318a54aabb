// Keeps <state_dir>/sessions.json in step with the host's sessions: saved when something changed
// (at most once a second from the tick, and before session.open replies), and read back at start,
// where the sessions of the last run come back with their last state.
#pragma once

#include <berth/host/host.hpp>

#include <atomic>
#include <mutex>
#include <string>

#include "state_store.hpp"

namespace berth::daemon {

class session_persistence {
public:
    session_persistence(host::host& h, state_store& store) : host_(h), store_(store) {}

    // Something changed that the signature (ids and states) may not show, e.g. a reap.
    void mark_dirty() noexcept { dirty_ = true; }

    // Saves when marked dirty or when the set or state of sessions changed. Thread-safe.
    // A failed save is logged and retried at the next call; it never throws.
    void save_if_changed();

    // Gives the host the records of the last run (host::restore_session): sessions that were
    // still going are listed as lost (their processes went with the old berthd); sessions that
    // had already ended keep the state, exit code and signal they ended with.
    void restore();

private:
    host::host& host_;
    state_store& store_;
    std::atomic<bool> dirty_{true};
    std::mutex mutex_;  // one save at a time; guards last_signature_ and the file
    std::string last_signature_;
};

}  // namespace berth::daemon
