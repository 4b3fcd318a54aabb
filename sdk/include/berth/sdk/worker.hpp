// One background thread running jobs in order: for work a plugin must not do on its event
// loop's thread, such as removing a container (a blocking `podman rm -f`) after a session's
// process exited, before it reports the exit to the host.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace berth::sdk {

class worker {
public:
    worker() : thread_([this] { run(); }) {}
    // Finishes the jobs already posted, then joins.
    ~worker() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    // Thread-safe. A job must not throw (its exceptions are swallowed) and must bound its waits.
    void post(std::function<void()> job) {
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::move(job));
        }
        wake_.notify_one();
    }

    [[nodiscard]] bool on_worker_thread() const noexcept {
        return std::this_thread::get_id() == thread_.get_id();
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        while (true) {
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping, and nothing left
            auto job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            try {
                job();
            } catch (...) {
            }
            lock.lock();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace berth::sdk
