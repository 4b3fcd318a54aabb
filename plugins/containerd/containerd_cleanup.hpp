// Removing what a session made in containerd, and remembering what could not be removed
// because the daemon was away, to try again once it answers.
//
// These run ctr and block (each call bounded by the connect timeout plus a margin): call them
// from a session's worker or the health check, never from the event loop's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "containerd_options.hpp"

namespace berth::plugins::containerd {

// Something of a session's in containerd: its exec process (exec_id set: the container is
// not ours), or its whole container with task and snapshot (exec_id empty: run mode).
struct leftover {
    connection conn;
    std::string container;
    std::string exec_id;
};

struct cleanup_outcome {
    bool done = false;         // nothing of it is left
    bool unavailable = false;  // the daemon did not answer; try again later
    std::string problem;       // why not done, in words
};

// Kills and removes it. A thing already gone counts as done.
[[nodiscard]] cleanup_outcome remove_leftover(const leftover& item);

// Removes it; when the daemon does not answer, keeps it in `later` to try again. Empty when
// it went, else what is left and how to remove it by hand, for the log and the exit's reason.
[[nodiscard]] std::string remove_or_remember(leftover item, class leftover_list& later);

// The ctr commands that remove it by hand, for messages.
[[nodiscard]] std::string removal_hint(const leftover& item);

// Removes every container (task and snapshot too) labelled BERTH_OWNER_LABEL=owner on conn,
// adding each one removed to `removed`. Without ctr, or without a socket at conn.address,
// there is nothing to do. Throws sdk::error naming what is left and how to remove it by hand.
void reclaim_owned(const connection& conn, const std::string& owner, std::uint32_t& removed);

// What could not be removed yet. Thread-safe.
class leftover_list {
public:
    void add(leftover item);
    // Tries again for the items on `address` (all items when empty); keeps those still not
    // removed. Returns how many are left in the whole list.
    std::size_t retry(const std::string& address = {});
    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] std::vector<leftover> items() const;

private:
    mutable std::mutex mutex_;
    std::vector<leftover> items_;
    std::mutex retry_mutex_;  // one retry pass at a time, without holding mutex_ over ctr calls
};

}  // namespace berth::plugins::containerd
