#include <berth/sdk/event_loop.hpp>

#include <csignal>

#include "event_loop_impl.hpp"

namespace berth::sdk {

event_loop::event_loop() : impl_(std::make_unique<impl>()) {
    // The loop thread blocks every signal: process-directed signals belong to the host's own
    // threads, and a write to a pipe whose reader died then fails with EPIPE instead of
    // raising SIGPIPE in the host. The mask is inherited by the new thread only.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    impl_->thread = std::thread([this] { impl_->io.run(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    impl_->thread_id = impl_->thread.get_id();
}

event_loop::~event_loop() {
    impl_->work.reset();
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

void event_loop::post(std::function<void()> fn) { boost::asio::post(impl_->io, std::move(fn)); }

bool event_loop::on_loop_thread() const noexcept {
    return std::this_thread::get_id() == impl_->thread_id;
}

}  // namespace berth::sdk
