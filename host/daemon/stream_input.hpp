// The input half of a session.stream with input:true: what one client frame does to the
// session. Runs on the stream's own input thread (a blocking-call slot: a write may wait up to
// 30 s for room in the session's stdin, a resize or signal may run a runtime's CLI, which
// must hold neither the I/O thread nor the shared quick pool), one frame after another, in
// the order they came.
#pragma once

#include <berth/host/session.hpp>

#include <string>

#include "stream_frame.hpp"

namespace berth::daemon {

enum class input_outcome {
    applied,
    dropped,  // the session cannot take it: logged and dropped, the stream goes on
    failed,   // input (INPUT, CLOSE_INPUT) lost otherwise: the stream must end
};

struct input_result {
    input_outcome outcome = input_outcome::applied;
    std::string message;  // why, unless applied
};

// INPUT -> write, CLOSE_INPUT -> close_input, RESIZE -> resize, SIGNAL -> signal.
// - dropped: a frame the session cannot take because of its state (it ended, its input is
//   closed: BERTH_ERR_STATE; logged at debug), or a RESIZE/SIGNAL its runtime refuses
//   (logged at info): the stream has no channel for errors, and END tells the client what
//   became of the session.
// - failed: an INPUT or CLOSE_INPUT that failed otherwise (a write that timed out waiting
//   for room, a plugin error): the caller ends the stream rather than lose the user's
//   keystrokes silently and carry on with later ones.
[[nodiscard]] input_result apply_input(host::session& s, const wire::stream_frame& f);

}  // namespace berth::daemon
