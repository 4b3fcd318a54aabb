// What a plugin instance keeps for all its sessions: the host's services, one I/O thread that
// runs every session's WebSockets, and a few workers for the blocking REST calls at a session's
// end (the exit status, deleting a launched instance). No thread per session.
#pragma once

#include <berth/sdk/plugin.hpp>
#include <berth/sdk/worker_pool.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <thread>

namespace berth::plugins::lxd {

class lxd_runtime {
public:
    explicit lxd_runtime(sdk::host_services host);
    // Stops the I/O thread (pending operations are dropped with their coroutines), then lets
    // the workers finish their jobs.
    ~lxd_runtime();
    lxd_runtime(const lxd_runtime&) = delete;
    lxd_runtime& operator=(const lxd_runtime&) = delete;

    [[nodiscard]] const sdk::host_services& host() const noexcept { return host_; }
    [[nodiscard]] boost::asio::io_context& io() noexcept { return io_; }
    [[nodiscard]] sdk::worker_pool& workers() noexcept { return workers_; }

private:
    sdk::host_services host_;
    boost::asio::io_context io_;  // outlives the workers, whose jobs may post to it
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    // Threads start on demand and end when idle. More than the SDK's default: one session's end
    // against a member that went away can block a worker for its REST bounds (about 100 s),
    // and the others' ends should not queue behind it.
    static constexpr std::size_t k_workers = 16;
    sdk::worker_pool workers_{k_workers};
    std::thread thread_;
};

}  // namespace berth::plugins::lxd
