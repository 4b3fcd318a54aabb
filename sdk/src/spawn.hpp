// Private: start a child for a process_session, with its pipes or terminal and its pidfd.
#pragma once

#include <sys/types.h>
#include <berth/sdk/process_session.hpp>

#include <berth/sdk/unique_fd.hpp>
#include "output_pipe.hpp"

namespace berth::sdk {

struct spawned_child {
    pid_t pid = -1;
    unique_fd pidfd;
    unique_fd stdin_w;              // pipe mode: our end of the child's stdin
    unique_fd stdout_r;             // pipe mode
    output_pipe_grant stdout_pipe;  // pipe mode: how big stdout_r's pipe is
    unique_fd stderr_r;             // pipe mode
    unique_fd pty;                  // tty mode: the terminal's master side, both ways
};

// Throws sdk::error (see process_session::start). On failure nothing is left running.
[[nodiscard]] spawned_child spawn_child(const process_spec& spec);

}  // namespace berth::sdk
