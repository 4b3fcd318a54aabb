// A client that speaks to berthd's socket byte by byte, as a hostile or broken one would:
// half lines, pipelined requests, replies never read. And what berthd costs the machine
// (RSS, fds, threads, CPU), read from /proc.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace berth::test {

class raw_client {
public:
    // Connects, or fails the test (fd() < 0 afterwards).
    explicit raw_client(const std::filesystem::path& socket);
    ~raw_client();
    raw_client(raw_client&& other) noexcept;
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    [[nodiscard]] int fd() const noexcept { return fd_; }
    // All of bytes, or false when the peer is gone.
    bool send(std::string_view bytes);
    // The next line (without its newline) within timeout; nullopt on timeout or EOF.
    [[nodiscard]] std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // True when the peer closed (EOF or reset) within timeout; bytes before it are discarded.
    [[nodiscard]] bool closed_by_peer(std::chrono::milliseconds timeout);
    void close();

private:
    int fd_ = -1;
    std::string buffered_;
};

struct process_cost {
    std::uint64_t rss_kb = 0;
    std::size_t fds = 0;
    std::size_t threads = 0;
    double cpu_s = 0;  // user + system since start
};
[[nodiscard]] process_cost cost_of(pid_t pid);

// One JSON-RPC request line, as a client writes it.
inline std::string request(const std::string& method,
                           const nlohmann::json& params = nlohmann::json::object(), int id = 1) {
    return nlohmann::json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}
               .dump() +
           "\n";
}

// The next reply line, parsed (discarded on a parse error); null when none came in time.
inline nlohmann::json reply(raw_client& c,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto line = c.read_line(timeout);
    if (!line) return nullptr;
    return nlohmann::json::parse(*line, nullptr, false);
}

// A reply's error.code, 0 when it is no error.
inline int error_code(const nlohmann::json& r) {
    return r.is_object() && r.contains("error") ? r["error"].value("code", 0) : 0;
}

}  // namespace berth::test
