// berth mcp's way to berthd: JSON-RPC calls on pooled connections, each call cancellable, and
// starting a berthd for the user when none answers (the way tmux starts its server).
#pragma once

#include <sys/types.h>
#include <berth/host/result.hpp>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cancel_scope.hpp"
#include "daemon_client.hpp"

namespace berth::mcp {

struct autostart_options {
    bool enabled = true;
    std::chrono::seconds exit_when_idle{300};  // the started berthd's --exit-when-idle
    std::filesystem::path state_dir;           // its --state-dir; empty: see state_dir_for
};

class berthd_link {
public:
    explicit berthd_link(std::filesystem::path socket) : socket_(std::move(socket)) {}

    // Connects once; when nothing answers and autostart is enabled, starts berthd on the socket
    // and waits (bounded) until it is ready. Says on stderr what it did. The options are kept:
    // a call that later finds nothing on the socket (the berthd crashed or was killed) starts
    // one again, as tmux starts its server for the next command.
    [[nodiscard]] host::result<void> ensure_daemon(const autostart_options& autostart);

    // One call. `cancel` (may be null) interrupts it from another thread: the call then fails
    // (the caller checks cancel->cancelled()) and its connection is dropped, which tells berthd
    // to give a waiting call back.
    [[nodiscard]] host::result<nlohmann::json> call(const std::string& method,
                                                    const nlohmann::json& params,
                                                    std::chrono::milliseconds timeout,
                                                    cancel_scope* cancel = nullptr);

    // session.stream on a connection of its own (output only, not following): bulk output as
    // binary frames, without JSON or base64 on berthd's side.
    [[nodiscard]] host::result<cli::stream_client> open_stream(const std::string& session,
                                                               std::uint64_t cursor);

    [[nodiscard]] const std::filesystem::path& socket() const noexcept { return socket_; }

private:
    [[nodiscard]] host::result<cli::daemon_client> take(bool& pooled);
    // A fresh connection; when nothing answers and autostart is on, berthd started first.
    [[nodiscard]] host::result<cli::daemon_client> connect();
    [[nodiscard]] host::result<void> start_daemon(const host::error& why);
    void give_back(cli::daemon_client c);
    void reap_started();  // waits for berthds started here that have ended (no zombies)

    std::filesystem::path socket_;
    std::mutex mutex_;
    std::vector<cli::daemon_client> idle_;  // at most k_max_idle
    static constexpr std::size_t k_max_idle = 8;
    std::mutex start_mutex_;  // one start at a time; guards the two below
    autostart_options autostart_{.enabled = false};
    std::vector<pid_t> started_;  // berthds this process started: its children until they end
};

}  // namespace berth::mcp
