// berth mcp's protocol engine: newline-delimited JSON-RPC on stdin/stdout (MCP's stdio
// transport). Requests are served concurrently and answered by id; tools/call runs on a
// thread of its own (at most k_max_in_flight), everything else is answered at once on the
// reading thread. Nothing but protocol messages is ever written to stdout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cancel_scope.hpp"
#include "console_tools.hpp"
#include "worker_pool.hpp"

namespace berth::mcp {

struct server_info {
    std::string name = "berth";
    std::string version;
};

class mcp_server {
public:
    static constexpr std::size_t k_max_in_flight = 64;
    // A message: the largest input (policy max_input_bytes, 1 MiB by default) in base64, and
    // room around it. Each call in flight holds its own.
    static constexpr std::size_t k_max_line_bytes = std::size_t{8} << 20;
    // Nesting deeper than this is refused while parsing (copying a deep value recurses).
    static constexpr int k_max_depth = 64;
    // After stdin ends, calls in flight get this long to answer before they are cancelled
    // (the TypeScript SDK's client sends SIGTERM 2 s after closing stdin).
    static constexpr std::chrono::milliseconds k_eof_grace{1500};

    mcp_server(console_tools& tools, server_info info, int in_fd = 0, int out_fd = 1)
        : tools_(tools), info_(std::move(info)), in_fd_(in_fd), out_fd_(out_fd) {}
    ~mcp_server();
    mcp_server(const mcp_server&) = delete;
    mcp_server& operator=(const mcp_server&) = delete;

    // Serves until stdin ends; then cancels what is still running, waits for it and returns 0.
    int run();

private:
    struct request;  // one tools/call in flight

    void handle_line(std::string_view line);
    void handle_request(const nlohmann::json& msg);
    void handle_notification(const nlohmann::json& msg);
    void start_tool_call(const nlohmann::json& id, const nlohmann::json& params, bool stateless);
    void run_tool_call(const std::shared_ptr<request>& req, nlohmann::json params);
    void progress_ticker(const std::shared_ptr<request>& req, nlohmann::json token);

    [[nodiscard]] nlohmann::json initialize_result(const nlohmann::json& params) const;
    [[nodiscard]] nlohmann::json discover_result() const;
    [[nodiscard]] nlohmann::json capabilities() const;
    [[nodiscard]] std::string instructions() const;

    void send(const nlohmann::json& msg);
    void send_result(const nlohmann::json& id, nlohmann::json result, bool stateless);
    void send_error(const nlohmann::json& id, int code, const std::string& message,
                    nlohmann::json data = nullptr);

    console_tools& tools_;
    const server_info info_;
    const int in_fd_;
    const int out_fd_;
    bool initialized_ = false;  // an initialize was answered (handshake era)

    std::mutex out_mutex_;
    bool out_broken_ = false;

    std::mutex requests_mutex_;
    std::map<std::string, std::shared_ptr<request>> in_flight_;  // by id, as JSON text
    std::condition_variable drained_;                            // in_flight_ got smaller
    // Runs each call and its progress ticker; declared last, so it is destroyed (and its
    // threads joined) before what the tasks use.
    worker_pool workers_{2 * k_max_in_flight};
};

}  // namespace berth::mcp
