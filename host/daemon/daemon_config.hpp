// berthd's configuration: limits, intervals, paths. Loaded from a JSON file; every key is
// optional, unknown keys and wrong types are errors that name the key.
#pragma once

#include <berth/plugin.h>
#include <berth/host/result.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "paths.hpp"

namespace berth::daemon {

using wire::default_socket_path;
using wire::default_state_dir;

// The smallest session_log_bytes / session_log_total_bytes other than 0.
constexpr std::uint64_t k_min_session_log_bytes = std::uint64_t{64} << 10;
// The longest exit_when_idle_s: a year, far below where a clock's nanoseconds overflow.
constexpr std::uint64_t k_max_exit_when_idle_s = std::uint64_t{365} * 24 * 3600;

struct daemon_config {
    std::filesystem::path socket;             // empty: default_socket_path()
    std::optional<std::string> socket_group;  // socket 0660 and this group may connect
    std::filesystem::path state_dir;          // empty: default_state_dir()
    std::size_t max_sessions = 256;           // open (not ended) sessions in total
    std::map<std::string, std::size_t> max_sessions_per_runtime;  // runtime -> limit
    std::size_t default_max_sessions_per_runtime = 128;
    std::size_t output_buffer_bytes = std::size_t{1} << 20;
    std::chrono::seconds idle_timeout{600};  // an ended session is forgotten this long after
    std::size_t max_frame_bytes = std::size_t{1} << 20;  // one JSON-RPC request line
    std::size_t max_connections = 128;                   // clients connected at once
    std::size_t max_blocking_calls = 256;     // long polls, opens, closes running at once
    std::size_t max_connection_requests = 8;  // calls of one connection running at once
    std::size_t max_connection_output_bytes = std::size_t{4} << 20;  // its unsent replies
    std::chrono::milliseconds stall_timeout{10000};  // partial request / unread replies
    std::chrono::milliseconds max_wait{60000};       // cap on read/wait long-polls
    std::chrono::seconds health_interval{30};
    std::chrono::milliseconds health_timeout{10000};
    // Session logs on disk: per session (file bytes; 0 keeps none), all together, and where
    // (empty: <state_dir>/logs).
    std::uint64_t session_log_bytes = std::uint64_t{256} << 20;
    std::uint64_t session_log_total_bytes = std::uint64_t{4} << 30;
    std::filesystem::path session_log_dir;
    // Default grace for session.close and shutdown.
    std::chrono::milliseconds close_grace{BERTH_DEFAULT_GRACE_MS};
    // Exit (as on SIGTERM) after this long with no open session and no client; 0: never.
    // For a berthd started on demand by a client (`berth mcp`).
    std::chrono::seconds exit_when_idle{0};
};

[[nodiscard]] host::result<daemon_config> load_config(const std::filesystem::path& file);
[[nodiscard]] host::result<daemon_config> parse_config(const std::string& json_text,
                                                       const std::string& source);

}  // namespace berth::daemon
