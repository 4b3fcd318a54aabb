// How a session's command ended: the one shape of it above the plugin ABI. host::session maps
// the plugin's berth_exit_status into it in one place (its on_exit); the registry keeps it as
// part of the session's record; the wire writes and reads it (session.get/list/read, the state
// file) and the CLI turns it into its own exit status.
#pragma once

#include <optional>
#include <string>

namespace berth::registry {

struct exit_status {
    std::optional<int> exit_code;  // it exited by itself, with this code
    int term_signal = 0;           // > 0: this signal ended it
    std::string reason;            // in words: why it failed or was closed, what killed it
};

// Neither an exit code nor a signal: the command never ran or the runtime lost it (the session
// failed as a whole; reason says why).
[[nodiscard]] bool failed(const exit_status& s) noexcept;

// The number a shell gives it: the exit code, or 128 + the signal; nullopt when it failed.
[[nodiscard]] std::optional<int> shell_status(const exit_status& s) noexcept;

}  // namespace berth::registry
