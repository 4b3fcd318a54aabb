// A few background threads for the blocking work a plugin must not do on its event loop's
// thread, such as removing a container (`podman rm -f`) after a session's process exited and
// before its exit is reported. Shared by all of a plugin's sessions: threads start on demand up
// to a fixed number, so a thousand sessions never mean a thousand threads, and one slow clean-up
// does not hold up the others' while a thread is free. A thread idle for k_idle_exit ends, so a
// plugin with nothing to clean up keeps no thread for it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace berth::sdk {

class worker_pool {
public:
    static constexpr std::size_t k_default_threads = 4;
    static constexpr std::chrono::seconds k_idle_exit{5};

    explicit worker_pool(std::size_t max_threads = k_default_threads,
                         std::chrono::milliseconds idle_exit = k_idle_exit);
    // Finishes the jobs already posted (each bounds its own waits), then joins.
    ~worker_pool();
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

    // Thread-safe. A job must bound its waits; an exception it throws is swallowed. The queue
    // holds at most one job per session in the SDK's use, so it needs no bound of its own.
    void post(std::function<void()> job);

    [[nodiscard]] bool on_worker_thread() const;
    // Threads running now (idle ones included, ended ones not).
    [[nodiscard]] std::size_t threads() const;

private:
    struct worker {
        std::thread thread;
        bool ended = false;  // run() returned, or is about to: join it
    };
    void run(worker& self);
    void join_ended();  // under mutex_

    const std::size_t max_threads_;
    const std::chrono::milliseconds idle_exit_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    std::size_t idle_ = 0;
    std::size_t live_ = 0;
    bool stopping_ = false;
    std::list<worker> workers_;  // a list: a worker's address stays while others come and go
};

}  // namespace berth::sdk
