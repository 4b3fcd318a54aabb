#include <berth/sdk/worker_pool.hpp>

#include <algorithm>

namespace berth::sdk {

worker_pool::worker_pool(std::size_t max_threads, std::chrono::milliseconds idle_exit)
    : max_threads_(std::max<std::size_t>(1, max_threads)), idle_exit_(idle_exit) {}

worker_pool::~worker_pool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    // No new worker can start now (post() is not called during destruction).
    for (auto& w : workers_)
        if (w.thread.joinable()) w.thread.join();
}

void worker_pool::join_ended() {
    // An ended worker set `ended` under mutex_ and returns right after releasing it: joining
    // it here never waits for the lock we hold.
    for (auto it = workers_.begin(); it != workers_.end();) {
        if (!it->ended) {
            ++it;
            continue;
        }
        if (it->thread.joinable()) it->thread.join();
        it = workers_.erase(it);
    }
}

void worker_pool::post(std::function<void()> job) {
    std::lock_guard lock(mutex_);
    join_ended();
    jobs_.push_back(std::move(job));
    // A thread that is already waiting takes it; else start one while under the limit.
    if (idle_ >= jobs_.size() || live_ >= max_threads_) {
        wake_.notify_one();
        return;
    }
    ++live_;
    worker& w = workers_.emplace_back();
    w.thread = std::thread([this, &w] { run(w); });
}

bool worker_pool::on_worker_thread() const {
    std::lock_guard lock(mutex_);
    const auto self = std::this_thread::get_id();
    return std::any_of(workers_.begin(), workers_.end(),
                       [self](const worker& w) { return w.thread.get_id() == self; });
}

std::size_t worker_pool::threads() const {
    std::lock_guard lock(mutex_);
    return live_;
}

void worker_pool::run(worker& self) {
    std::unique_lock lock(mutex_);
    while (true) {
        ++idle_;
        const bool woken =
            wake_.wait_for(lock, idle_exit_, [this] { return stopping_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty() && (stopping_ || !woken)) break;  // stopping, or idle too long
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
    --live_;
    self.ended = true;
}

}  // namespace berth::sdk
