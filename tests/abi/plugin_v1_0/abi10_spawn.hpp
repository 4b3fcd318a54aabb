// Starting a process with POSIX calls only: what a plugin built with nothing but the ABI 1.0
// header (no berth SDK) needs to run a session's command.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::abi10 {

// A descriptor closed when it goes.
class fd {
public:
    fd() = default;
    explicit fd(int raw) noexcept : raw_(raw) {}
    fd(fd&& o) noexcept : raw_(o.release()) {}
    fd& operator=(fd&& o) noexcept;
    fd(const fd&) = delete;
    fd& operator=(const fd&) = delete;
    ~fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return raw_; }
    int release() noexcept;
    void reset() noexcept;

private:
    int raw_ = -1;
};

enum class io_mode {
    pipes,     // stdin a socket (so a write to a dead reader fails with EPIPE, never SIGPIPE)
    terminal,  // a new pseudo-terminal, the child's controlling one
    none,      // /dev/null for all three
};

struct child {
    pid_t pid = -1;
    fd pidfd;   // readable once the child has exited; signals go through it, never to a reused pid
    fd input;   // the child's stdin: our socket end, or the terminal's master
    fd output;  // its stdout, or the terminal's master (a second descriptor of it)
    fd errors;  // its stderr; none on a terminal
};

// Where argv[0] is, looked up in PATH as a shell would, or nullopt.
[[nodiscard]] std::optional<std::string> find_in_path(const std::string& name);

// Starts `path` with argv in its own process group (on a terminal: its own session). Our
// descriptors are non-blocking and close-on-exec. Throws std::system_error.
[[nodiscard]] child spawn(const std::string& path, const std::vector<std::string>& argv,
                          io_mode mode, std::uint16_t rows, std::uint16_t cols);

// Waits until the child has exited, at most `timeout`; true when it has (then it is reaped
// and *status holds its wait status).
bool wait_exit(child& c, std::chrono::milliseconds timeout, int* status);

}  // namespace berth::abi10
