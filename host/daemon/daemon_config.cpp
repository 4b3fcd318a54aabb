#include "daemon_config.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace berth::daemon {
namespace {
using json = nlohmann::json;

host::error bad(const std::string& source, const std::string& what) {
    return {BERTH_ERR_INVALID_ARGUMENT, source + ": " + what};
}

}  // namespace

host::result<daemon_config> parse_config(const std::string& json_text, const std::string& source) {
    json j;
    try {
        j = json::parse(json_text);
    } catch (const json::parse_error& e) {
        return bad(source, std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object()) return bad(source, "expected a JSON object");
    daemon_config c;
    const auto count = [&](const json& v, const std::string& key) -> host::result<std::size_t> {
        if (!v.is_number_unsigned() || v.get<std::size_t>() == 0)
            return bad(source, "'" + key + "' must be a positive integer, got " + v.dump());
        return v.get<std::size_t>();
    };
    for (const auto& [key, v] : j.items()) {
        if (key == "socket" || key == "state_dir" || key == "socket_group" ||
            key == "session_log_dir") {
            if (!v.is_string() || v.get<std::string>().empty())
                return bad(source, "'" + key + "' must be a non-empty string");
            if (key == "socket") c.socket = v.get<std::string>();
            if (key == "state_dir") c.state_dir = v.get<std::string>();
            if (key == "socket_group") c.socket_group = v.get<std::string>();
            if (key == "session_log_dir") c.session_log_dir = v.get<std::string>();
        } else if (key == "session_log_bytes") {
            // 0 turns the logs off; anything else must hold a few records.
            if (!v.is_number_unsigned() ||
                (v.get<std::uint64_t>() != 0 && v.get<std::uint64_t>() < k_min_session_log_bytes))
                return bad(source, "'" + key + "' must be 0 (no logs) or at least " +
                                       std::to_string(k_min_session_log_bytes) + ", got " +
                                       v.dump());
            c.session_log_bytes = v.get<std::uint64_t>();
        } else if (key == "session_log_total_bytes") {
            if (!v.is_number_unsigned() || v.get<std::uint64_t>() < k_min_session_log_bytes)
                return bad(source, "'" + key + "' must be at least " +
                                       std::to_string(k_min_session_log_bytes) + ", got " +
                                       v.dump());
            c.session_log_total_bytes = v.get<std::uint64_t>();
        } else if (key == "exit_when_idle_s") {
            // 0 is allowed here (never), unlike the other counts.
            if (!v.is_number_unsigned() || v.get<std::uint64_t>() > k_max_exit_when_idle_s)
                return bad(source, "'" + key + "' must be an integer from 0 (never) to " +
                                       std::to_string(k_max_exit_when_idle_s) + ", got " +
                                       v.dump());
            c.exit_when_idle =
                std::chrono::seconds(static_cast<std::int64_t>(v.get<std::uint64_t>()));
        } else if (key == "max_sessions_per_runtime") {
            if (!v.is_object())
                return bad(source, "'" + key + "' must be an object of runtime: limit");
            for (const auto& [rt, n] : v.items()) {
                auto r = count(n, key + "." + rt);
                if (!r) return r.err();
                if (rt == "*") {
                    c.default_max_sessions_per_runtime = r.value();
                } else {
                    c.max_sessions_per_runtime[rt] = r.value();
                }
            }
        } else {
            auto r = count(v, key);
            if (!r) return r.err();
            const std::size_t n = r.value();
            if (key == "max_sessions")
                c.max_sessions = n;
            else if (key == "output_buffer_bytes")
                c.output_buffer_bytes = n;
            else if (key == "idle_timeout_s")
                c.idle_timeout = std::chrono::seconds(n);
            else if (key == "max_frame_bytes")
                c.max_frame_bytes = n;
            else if (key == "max_connections")
                c.max_connections = n;
            else if (key == "max_blocking_calls")
                c.max_blocking_calls = n;
            else if (key == "max_connection_requests")
                c.max_connection_requests = n;
            else if (key == "max_connection_output_bytes")
                c.max_connection_output_bytes = n;
            else if (key == "stall_timeout_ms")
                c.stall_timeout = std::chrono::milliseconds(n);
            else if (key == "max_wait_ms")
                c.max_wait = std::chrono::milliseconds(n);
            else if (key == "health_interval_s")
                c.health_interval = std::chrono::seconds(n);
            else if (key == "health_timeout_ms")
                c.health_timeout = std::chrono::milliseconds(n);
            else if (key == "close_grace_ms")
                c.close_grace = std::chrono::milliseconds(n);
            else
                return bad(source,
                           "unknown key '" + key +
                               "' (known: socket, socket_group, state_dir, max_sessions, "
                               "max_sessions_per_runtime, output_buffer_bytes, idle_timeout_s, "
                               "max_frame_bytes, max_connections, max_blocking_calls, "
                               "max_connection_requests, max_connection_output_bytes, "
                               "stall_timeout_ms, max_wait_ms, health_interval_s, "
                               "health_timeout_ms, close_grace_ms, session_log_bytes, "
                               "session_log_total_bytes, session_log_dir, "
                               "exit_when_idle_s)");
        }
    }
    // One record of a full pipe read must fit in the total, whatever the sessions hold.
    if (c.session_log_bytes > 0 && c.session_log_total_bytes < c.session_log_bytes)
        return bad(source, "'session_log_total_bytes' (" +
                               std::to_string(c.session_log_total_bytes) +
                               ") must be at least 'session_log_bytes' (" +
                               std::to_string(c.session_log_bytes) + ")");
    return c;
}

host::result<daemon_config> load_config(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) return host::error{BERTH_ERR_NOT_FOUND, "cannot read config file " + file.string()};
    std::stringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), file.string());
}

}  // namespace berth::daemon
