// Where requests run. Quick calls (list, get, write, signal, ...) share a small pool; calls
// that may wait for long (long polls, open, close, a refreshed health check) each get a thread
// of their own, up to a bound, so no number of long polls can delay a quick call, and past
// the bound a client gets -32004 instead of a queue that grows without end.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

namespace berth::daemon {

class call_runner {
public:
    call_runner(std::size_t quick_threads, std::size_t max_blocking);
    ~call_runner();  // waits for every call still running
    call_runner(const call_runner&) = delete;
    call_runner& operator=(const call_runner&) = delete;

    void run_quick(std::function<void()> fn);
    // False when max_blocking calls are running already: fn is not run.
    [[nodiscard]] bool run_blocking(std::function<void()> fn);

    [[nodiscard]] std::size_t blocking_running() const;
    [[nodiscard]] std::size_t max_blocking() const noexcept { return max_blocking_; }

    // Returns once every call has finished; no call starts after it (run_blocking says false).
    void wait_all();

private:
    boost::asio::thread_pool pool_;
    mutable std::mutex mutex_;
    std::condition_variable done_;
    std::size_t blocking_ = 0;
    bool closing_ = false;  // wait_all() began: no new blocking call
    const std::size_t max_blocking_;
};

}  // namespace berth::daemon
