// Checks every plugin at start and then every interval, off the I/O thread (a hung check
// never stalls the daemon: each check is bounded by its timeout), and logs state changes.
#pragma once

#include <berth/host/host.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace berth::daemon {

class health_monitor {
public:
    health_monitor(host::host& h, std::chrono::seconds interval, std::chrono::milliseconds timeout);
    ~health_monitor();  // stops and joins
    health_monitor(const health_monitor&) = delete;
    health_monitor& operator=(const health_monitor&) = delete;

private:
    void check_all();
    void loop();

    host::host& host_;
    const std::chrono::seconds interval_;
    const std::chrono::milliseconds timeout_;
    std::map<std::string, registry::health_state> last_;  // plugin -> state; loop thread only
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace berth::daemon
