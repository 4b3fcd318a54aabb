// The input half of a session.stream with input:true: what one client frame does to the
// session. Runs on the quick pool (a write may wait for room in the session's stdin, which
// must never hold the I/O thread), one frame after another, in the order they came.
#pragma once

#include <berth/host/session.hpp>

#include "stream_frame.hpp"

namespace berth::daemon {

// INPUT -> write, CLOSE_INPUT -> close_input, RESIZE -> resize, SIGNAL -> signal. A frame the
// session cannot take (it ended, its input is closed, its runtime cannot resize) is logged at
// info and dropped: the stream has no channel for errors, and its output (END) tells the
// client what became of the session.
void apply_input(host::session& s, const wire::stream_frame& f);

}  // namespace berth::daemon
