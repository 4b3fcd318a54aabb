#include "worker_pool.hpp"

namespace berth::mcp {

worker_pool::~worker_pool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
}

void worker_pool::post(std::function<void()> task) {
    std::unique_lock lock(mutex_);
    queue_.push_back(std::move(task));
    // An idle thread counts until it wakes: two posts in a row must not both count on it.
    if (queue_.size() > idle_ && threads_.size() < max_threads_) {
        threads_.emplace_back([this] { work(); });
        return;
    }
    lock.unlock();
    wake_.notify_one();
}

void worker_pool::work() {
    std::unique_lock lock(mutex_);
    while (true) {
        if (!queue_.empty()) {
            auto task = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            task();
            lock.lock();
            continue;
        }
        if (stopping_) return;
        ++idle_;
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        --idle_;
    }
}

}  // namespace berth::mcp
