// pidfd system calls, for plugins that signal processes they did not spawn without hitting a
// recycled pid. Called through syscall(2) because glibc 2.36's <sys/pidfd.h>
// lacks C++ linkage guards, and older glibc lacks the wrappers altogether.
#pragma once

#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace berth::sdk {

inline int pidfd_open_fd(pid_t pid) noexcept {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
}

inline int pidfd_signal(int pidfd, int signo) noexcept {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0U));
}

}  // namespace berth::sdk
