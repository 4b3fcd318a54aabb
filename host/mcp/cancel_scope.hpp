// Cancelling one MCP request: notifications/cancelled (or stdin closing) must stop a call that
// is blocked on berthd within milliseconds. The call registers the socket it waits on; cancel()
// shuts that socket down, which wakes its poll at once, and berthd, seeing its client leave,
// gives the waiting call back.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <mutex>

namespace berth::mcp {

class cancel_scope {
public:
    // Returns false when the request is already cancelled (the caller must not start waiting).
    [[nodiscard]] bool attach(int fd) {
        std::lock_guard lock(mutex_);
        if (cancelled_) return false;
        fd_ = fd;
        return true;
    }
    // Before the fd is closed or handed to another request.
    void detach() {
        std::lock_guard lock(mutex_);
        fd_ = -1;
    }
    void cancel() {
        std::lock_guard lock(mutex_);
        cancelled_ = true;
        if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    }
    [[nodiscard]] bool cancelled() const {
        std::lock_guard lock(mutex_);
        return cancelled_;
    }

private:
    mutable std::mutex mutex_;
    int fd_ = -1;
    bool cancelled_ = false;
};

// Detaches a scope (if any) when it goes out of scope, so an fd is never left registered.
struct cancel_detach {
    cancel_scope* scope;
    ~cancel_detach() {
        if (scope != nullptr) scope->detach();
    }
};

}  // namespace berth::mcp
