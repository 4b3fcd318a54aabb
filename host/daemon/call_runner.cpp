#include "call_runner.hpp"

#include <boost/asio/post.hpp>
#include <thread>

namespace berth::daemon {

call_runner::call_runner(std::size_t quick_threads, std::size_t max_blocking)
    : pool_(quick_threads), max_blocking_(max_blocking) {}

call_runner::~call_runner() { wait_all(); }

void call_runner::run_quick(std::function<void()> fn) { boost::asio::post(pool_, std::move(fn)); }

bool call_runner::run_blocking(std::function<void()> fn) {
    {
        const std::lock_guard lock(mutex_);
        if (closing_ || blocking_ >= max_blocking_) return false;
        ++blocking_;
    }
    try {
        // Detached, but owned through the count: wait_all() (and so the destructor) returns
        // only after the thread's last touch of this object.
        std::thread([this, fn = std::move(fn)]() mutable {
            {
                // Destroyed here, before the count drops: what it holds (a connection, and
                // through it a socket of the I/O loop) must go while the daemon still stands.
                auto call = std::move(fn);
                call();
            }
            const std::lock_guard lock(mutex_);
            --blocking_;
            done_.notify_all();
        }).detach();
    } catch (const std::system_error&) {  // no thread to be had: the same answer as the bound
        const std::lock_guard lock(mutex_);
        --blocking_;
        return false;
    }
    return true;
}

std::size_t call_runner::blocking_running() const {
    const std::lock_guard lock(mutex_);
    return blocking_;
}

void call_runner::wait_all() {
    // The pool first: a quick task may still hand a call to a thread of its own. Then no new
    // thread starts, and the running ones are waited for.
    pool_.wait();
    std::unique_lock lock(mutex_);
    closing_ = true;
    done_.wait(lock, [this] { return blocking_ == 0; });
}

}  // namespace berth::daemon
