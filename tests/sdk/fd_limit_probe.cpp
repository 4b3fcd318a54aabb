// Runs sdk::run_command under every RLIMIT_NOFILE from "no fd free" to "a few free", beside a
// sentinel process, and exits 0 only if the sentinel is still alive afterwards. Meant to run
// as PID 1 of a PID namespace of its own (run_command_test starts it under `unshare`): if
// the SDK ever signals pid -1 or 1 again, it kills what is in this namespace, not the machine.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <berth/sdk/plugin.hpp>
#include <berth/sdk/run_command.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>

int main() {
    // Forked before anything starts a thread: the sentinel only waits to be killed.
    const pid_t sentinel = ::fork();
    if (sentinel == 0) {
        for (;;) ::pause();
    }
    rlimit original{};
    ::getrlimit(RLIMIT_NOFILE, &original);
    std::size_t open_now = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++open_now;
    int ran = 0;
    int refused = 0;
    for (rlim_t extra = 0; extra < 24; ++extra) {
        const rlimit lim{open_now + extra, original.rlim_max};
        ::setrlimit(RLIMIT_NOFILE, &lim);
        try {
            (void)berth::sdk::run_command({"true"}, std::chrono::seconds(5));
            ++ran;
        } catch (const berth::sdk::error&) {
            ++refused;  // failing at the limit is right; signalling others is not
        }
    }
    ::setrlimit(RLIMIT_NOFILE, &original);
    int status = 0;
    const bool alive = ::waitpid(sentinel, &status, WNOHANG) == 0;
    ::kill(sentinel, SIGKILL);
    (void)::waitpid(sentinel, &status, 0);
    std::printf("ran %d, refused %d, sentinel %s\n", ran, refused, alive ? "alive" : "killed");
    return alive && ran > 0 && refused > 0 ? 0 : 1;
}
