// What the registry knows about one session. Plain data, copied out of the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <berth/registry/exit_status.hpp>

namespace berth::registry {

enum class session_state : std::uint8_t {
    starting = 0,  // being opened by its plugin
    running = 1,
    exited = 2,  // the command ended by itself (code or signal)
    failed = 3,  // the session failed as a whole (could not start, runtime went away)
    closed = 4,  // ended because someone closed it
    lost = 5     // known from before a restart of the host, no longer backed by a process
};

[[nodiscard]] std::string_view to_string(session_state s) noexcept;
[[nodiscard]] bool is_final(session_state s) noexcept;

using clock = std::chrono::system_clock;

// How the session ended is its exit_status (exit_code, term_signal, reason: unset while it
// runs), inherited rather than held as a member so that a record reads `record.exit_code` as
// every exit shape does, and passes wherever an exit_status is wanted.
struct session_record : exit_status {
    std::string id;
    std::string runtime;  // runtime id, e.g. "podman"
    std::string plugin;   // plugin name, e.g. "berth-podman"
    std::string target;   // what it runs in, as its plugin says (a container); empty: none
    bool tty = false;     // it runs on a terminal, as its plugin says (false: none or unknown)
    std::vector<std::string> argv;
    std::int64_t pid = -1;
    session_state state = session_state::starting;
    clock::time_point created{};
    std::optional<clock::time_point> started;
    std::optional<clock::time_point> ended;
    std::uint64_t bytes_in = 0;   // written to the session's stdin
    std::uint64_t bytes_out = 0;  // produced on stdout/stderr/pty
};

}  // namespace berth::registry
