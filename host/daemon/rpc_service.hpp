// berthd's JSON-RPC 2.0 methods over the host library. No sockets here: a request object in,
// a response object out, so the methods are testable without a daemon.
#pragma once

#include <berth/host/host.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <variant>

#include "call_runner.hpp"
#include "daemon_config.hpp"
#include "limit_counters.hpp"
#include "rpc_request.hpp"

namespace berth::daemon {

// Longest pattern session.wait accepts.
constexpr std::size_t k_max_pattern_bytes = 4096;

// A session.stream request with its parameters checked: what the connection then serves
// (connection_stream.cpp).
struct stream_request {
    nlohmann::json id;  // the call's id, echoed in the reply that starts the stream
    std::shared_ptr<host::session> session;
    std::shared_ptr<registry::session_entry> entry;
    std::uint64_t cursor = 0;
    std::uint64_t end_offset = 0;  // at the time of the request
    bool follow = true;
    bool input = false;
};

class rpc_service {
public:
    // limits_hit (may be null) is added to metrics.get.
    rpc_service(host::host& h, const daemon_config& config,
                const limit_counters* limits_hit = nullptr);

    // One request line in, the reply frame out (newline-terminated; empty for a blank line or
    // notifications only). Never throws: whatever a handler throws becomes a -32603 reply.
    [[nodiscard]] std::string handle_line(std::string_view line);

    // The reply frame for an already parsed line; waits in it end early when `stop` is
    // requested (the connection that asked went away).
    [[nodiscard]] std::string execute(const parsed_line& line, std::stop_token stop = {});

    // What one call may use: the stop token of its connection, and the bytes of output its
    // reads may still return (the calls of a batch share one session.read's worth).
    struct call_context {
        std::stop_token stop;
        std::size_t read_budget;
    };

    // One checked call. nullopt for a notification: nothing to send.
    [[nodiscard]] std::optional<nlohmann::json> handle(const rpc_call& call, call_context& ctx);

    // session.stream's checks (session, cursor, follow, input): the request to serve, or the
    // error reply frame that names what is wrong. Quick: nothing waits.
    [[nodiscard]] std::variant<stream_request, std::string> prepare_stream(const rpc_call& call);
    // The reply line that accepts it; after its newline only frames follow.
    [[nodiscard]] static std::string stream_reply(const stream_request& r);

    // Called after anything that changes the set or state of sessions (persistence).
    void on_change(std::function<void()> hook) { on_change_ = std::move(hook); }

    // Refuses new sessions (shutdown in progress); returns once the opens already under way
    // have finished.
    void stop_accepting();

    // Its waiting calls are reported by metrics.get (berthd_waiting_calls).
    void report_calls_of(const call_runner* calls) noexcept { calls_ = calls; }

    [[nodiscard]] std::string metrics_text() const;

    // What a method throws to answer with an error (see rpc_errors.hpp).
    struct failure {
        int code;             // JSON-RPC code
        berth_status status;  // data.status
        std::string message;
    };

private:
    nlohmann::json dispatch(const std::string& method, const nlohmann::json& params,
                            call_context& ctx);
    nlohmann::json plugin_list();
    nlohmann::json health_get(const nlohmann::json& params);
    nlohmann::json session_open(const nlohmann::json& params);
    nlohmann::json session_list();
    nlohmann::json session_get(const nlohmann::json& params);
    nlohmann::json session_write(const nlohmann::json& params);
    nlohmann::json session_close_input(const nlohmann::json& params);
    nlohmann::json session_read(const nlohmann::json& params, call_context& ctx);
    nlohmann::json session_wait(const nlohmann::json& params, const std::stop_token& stop);
    nlohmann::json session_resize(const nlohmann::json& params);
    nlohmann::json session_signal(const nlohmann::json& params);
    nlohmann::json session_close(const nlohmann::json& params);

    // The host's session named by params.id (also an ended or lost one: its calls then answer
    // that it has ended), or its entry; a failure naming the id when there is none.
    std::shared_ptr<host::session> session_of(const nlohmann::json& params);
    std::shared_ptr<registry::session_entry> entry_of(const nlohmann::json& params);
    void changed() const {
        if (on_change_) on_change_();
    }

    host::host& host_;
    const daemon_config& config_;
    const limit_counters* limits_hit_;
    const call_runner* calls_ = nullptr;
    std::function<void()> on_change_;
    std::mutex opening_mutex_;  // accepting_ and opening_
    std::condition_variable opening_done_;
    bool accepting_ = true;
    std::size_t opening_ = 0;  // session.open calls past the accepting_ check
};

}  // namespace berth::daemon
