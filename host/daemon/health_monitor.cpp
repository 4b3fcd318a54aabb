#include "health_monitor.hpp"

#include <spdlog/spdlog.h>

#include <future>

namespace berth::daemon {

health_monitor::health_monitor(host::host& h, std::chrono::seconds interval,
                               std::chrono::milliseconds timeout)
    : host_(h), interval_(interval), timeout_(timeout), thread_([this] { loop(); }) {}

health_monitor::~health_monitor() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void health_monitor::check_all() {
    const auto plugins = host_.plugins();
    std::vector<std::future<registry::health_check_result>> checks;
    checks.reserve(plugins.size());
    for (const auto& p : plugins)
        checks.push_back(
            std::async(std::launch::async, [p, t = timeout_] { return p->check_health(t); }));
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < plugins.size(); ++i) {
        const auto r = checks[i].get();
        auto& last = last_[plugins[i]->name()];
        if (last != r.state) {
            const auto level = r.state == registry::health_state::healthy ? spdlog::level::info
                                                                          : spdlog::level::warn;
            spdlog::log(level, "runtime {} is {} (was {}): {}", plugins[i]->runtime(),
                        registry::to_string(r.state), registry::to_string(last), r.detail);
            last = r.state;
        }
    }
}

void health_monitor::loop() {
    // The first round runs at once, on this thread: the daemon answers while it runs, and a
    // session.open before it finishes is judged by the plugin itself.
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        check_all();
        lock.lock();
        if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
}

}  // namespace berth::daemon
