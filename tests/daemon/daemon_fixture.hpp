// A real berthd on a private socket for each test, and clients talking to it.
#pragma once

#include <gtest/gtest.h>
#include <berth/sdk/event_loop.hpp>
#include <berth/sdk/process_session.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon_client.hpp"

namespace berth::test {

class daemon_process {
public:
    // Starts build/bin/berthd with a config file holding config_json; waits until it answers.
    // extra_env is added to berthd's environment (e.g. BERTH_PLUGIN_PATH). while_starting, when
    // given, runs with berthd's pid right after it was started, before the wait.
    explicit daemon_process(const std::string& config_json = "{}",
                            std::map<std::string, std::string> extra_env = {},
                            std::function<void(std::int64_t pid)> while_starting = {});
    ~daemon_process();  // SIGTERM, bounded wait
    daemon_process(const daemon_process&) = delete;
    daemon_process& operator=(const daemon_process&) = delete;

    void start();
    // SIGTERM; returns the exit status (or -1 if it did not exit within the timeout).
    int stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    void kill_hard();  // SIGKILL: a crash, as far as the state file is concerned

    [[nodiscard]] const std::filesystem::path& socket() const noexcept { return socket_; }
    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
    [[nodiscard]] cli::daemon_client client() const;
    [[nodiscard]] std::string log() const;
    [[nodiscard]] std::int64_t pid() const { return process_ ? process_->pid() : -1; }

    // One call on a fresh connection; the result, or a failure of the test.
    nlohmann::json call(const std::string& method,
                        const nlohmann::json& params = nlohmann::json::object()) const;

private:
    std::filesystem::path dir_;
    std::filesystem::path socket_;
    std::map<std::string, std::string> extra_env_;
    std::function<void(std::int64_t)> while_starting_;
    sdk::event_loop loop_;
    std::unique_ptr<sdk::process_session> process_;
    mutable std::mutex log_mutex_;
    std::string log_;
    int exit_status_ = -1;
};

// A session.read result's output, all streams joined in order.
[[nodiscard]] std::string joined_output(const nlohmann::json& read_result);

// True if a process with this pid still runs (zombies count as gone).
[[nodiscard]] bool process_alive(std::int64_t pid);

}  // namespace berth::test
