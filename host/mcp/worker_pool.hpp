// Threads for berth mcp's tool calls, kept between calls: starting a thread per call was a
// good part of a quick call's time. A task runs at once on an idle thread, or on a new one up
// to `max_threads`; beyond that it waits in the queue (the server bounds calls in flight, so
// the queue stays short). The destructor lets queued tasks run, then joins every thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace berth::mcp {

class worker_pool {
public:
    explicit worker_pool(std::size_t max_threads) : max_threads_(max_threads) {}
    ~worker_pool();
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

    void post(std::function<void()> task);

private:
    void work();

    const std::size_t max_threads_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace berth::mcp
