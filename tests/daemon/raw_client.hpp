// A client that speaks to berthd's socket byte by byte, as a hostile or broken one would:
// half lines, pipelined requests, replies never read. And what berthd costs the machine
// (RSS, fds, threads, CPU), read from /proc.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
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

}  // namespace berth::test
