// A blocking JSON-RPC client for berthd's Unix socket: one request at a time, every call
// bounded by a timeout.
#pragma once

#include <berth/host/result.hpp>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "stream_client.hpp"

namespace berth::cli {

class daemon_client {
public:
    // --socket, else $BERTH_SOCKET, else the daemon's default path.
    [[nodiscard]] static std::filesystem::path socket_path(const std::string& flag);

    // Fails with a message that says how to start berthd when nothing answers.
    [[nodiscard]] static host::result<daemon_client> connect(const std::filesystem::path& socket);

    daemon_client(daemon_client&& o) noexcept;
    daemon_client& operator=(daemon_client&&) = delete;
    daemon_client(const daemon_client&) = delete;
    daemon_client& operator=(const daemon_client&) = delete;
    ~daemon_client();

    // The result member, or the daemon's error: its status is the reply's error.data.status,
    // its JSON-RPC code is kept in last_rpc_code().
    [[nodiscard]] host::result<nlohmann::json> call(
        const std::string& method, const nlohmann::json& params,
        std::chrono::milliseconds timeout = std::chrono::seconds(30));
    [[nodiscard]] int last_rpc_code() const noexcept { return rpc_code_; }
    // The socket, for a caller that must wake a blocked call from another thread
    // (shutdown(2) on it; the client stays the fd's owner).
    [[nodiscard]] int native_handle() const noexcept { return fd_; }

    // session.stream: on success this connection becomes the returned stream (this client
    // is left unconnected); on an error reply it stays a JSON-RPC connection.
    [[nodiscard]] host::result<stream_client> open_stream(
        const std::string& id, std::uint64_t cursor, bool follow, bool input,
        std::chrono::milliseconds timeout = std::chrono::seconds(30));

private:
    explicit daemon_client(int fd) : fd_(fd) {}
    int fd_ = -1;
    std::uint64_t next_id_ = 1;
    std::string buffered_;
    int rpc_code_ = 0;
};

}  // namespace berth::cli
