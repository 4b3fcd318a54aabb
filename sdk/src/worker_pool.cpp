#include <berth/sdk/worker_pool.hpp>

#include <algorithm>

namespace berth::sdk {

worker_pool::worker_pool(std::size_t max_threads)
    : max_threads_(std::max<std::size_t>(1, max_threads)) {}

worker_pool::~worker_pool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
}

void worker_pool::post(std::function<void()> job) {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    // A thread that is already waiting takes it; else start one while under the limit.
    if (idle_ >= jobs_.size() || threads_.size() >= max_threads_) {
        wake_.notify_one();
        return;
    }
    threads_.emplace_back([this] { run(); });
}

bool worker_pool::on_worker_thread() const {
    std::lock_guard lock(mutex_);
    const auto self = std::this_thread::get_id();
    return std::any_of(threads_.begin(), threads_.end(),
                       [self](const std::thread& t) { return t.get_id() == self; });
}

std::size_t worker_pool::threads() const {
    std::lock_guard lock(mutex_);
    return threads_.size();
}

void worker_pool::run() {
    std::unique_lock lock(mutex_);
    while (true) {
        ++idle_;
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty()) return;  // stopping, and nothing left
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        try {
            job();
        } catch (...) {
        }
        job = nullptr;  // release what it captured before waiting again
        lock.lock();
    }
}

}  // namespace berth::sdk
