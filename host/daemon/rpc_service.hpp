// berthd's JSON-RPC 2.0 methods over the host library. No sockets here: a request object in,
// a response object out, so the methods are testable without a daemon.
#pragma once

#include <berth/host/host.hpp>

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "daemon_config.hpp"

namespace berth::daemon {

class rpc_service {
public:
    rpc_service(host::host& h, const daemon_config& config);

    // One request (already parsed). nullopt for a notification (no id): nothing to send.
    [[nodiscard]] std::optional<nlohmann::json> handle(const nlohmann::json& request);

    // True for calls that may block for long (read with wait_ms, session.wait): the server
    // runs them off its worker pool.
    [[nodiscard]] static bool may_block(const nlohmann::json& request);

    // Called after anything that changes the set or state of sessions (persistence).
    void on_change(std::function<void()> hook) { on_change_ = std::move(hook); }

    // Refuse new sessions (shutdown in progress).
    void stop_accepting() { accepting_ = false; }

    [[nodiscard]] std::string metrics_text() const;

    struct failure {
        int code;
        std::string message;
    };

private:
    nlohmann::json dispatch(const std::string& method, const nlohmann::json& params);
    nlohmann::json plugin_list();
    nlohmann::json health_get(const nlohmann::json& params);
    nlohmann::json session_open(const nlohmann::json& params);
    nlohmann::json session_list();
    nlohmann::json session_get(const nlohmann::json& params);
    nlohmann::json session_write(const nlohmann::json& params);
    nlohmann::json session_close_input(const nlohmann::json& params);
    nlohmann::json session_read(const nlohmann::json& params);
    nlohmann::json session_wait(const nlohmann::json& params);
    nlohmann::json session_resize(const nlohmann::json& params);
    nlohmann::json session_signal(const nlohmann::json& params);
    nlohmann::json session_close(const nlohmann::json& params);

    std::shared_ptr<host::session> session_of(const nlohmann::json& params);
    void changed() const {
        if (on_change_) on_change_();
    }

    host::host& host_;
    const daemon_config& config_;
    std::function<void()> on_change_;
    std::atomic<bool> accepting_{true};
};

}  // namespace berth::daemon
