// One I/O thread for all of a plugin's sessions.
//
// Sessions do not get a thread each: their pipes, terminals and pidfds are watched by this
// loop, and their output callbacks run on its thread. A plugin typically owns one event_loop
// for its lifetime. Boost.Asio stays out of this header so plugin code compiles quickly.
#pragma once

#include <functional>
#include <memory>
#include <thread>

namespace berth::sdk {

class event_loop {
public:
    event_loop();
    ~event_loop();  // stops the loop and joins its thread
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    // Runs fn on the loop's thread, soon. Thread-safe.
    void post(std::function<void()> fn);
    [[nodiscard]] bool on_loop_thread() const noexcept;

    struct impl;
    [[nodiscard]] impl& get() noexcept { return *impl_; }

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace berth::sdk
