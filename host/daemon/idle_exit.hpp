// exit_when_idle_s: a berthd started on demand (by `berth mcp`, as tmux starts its server) goes
// away once nobody uses it. Idle means no open session (starting or running) and no connected
// client. Ended sessions do not count: their records are in sessions.json and their logs on
// disk, so the next berthd on the same state dir serves them as this one would have.
// I/O thread only, like daemon_state::connections.
#pragma once

#include <chrono>

namespace berth::daemon {

struct daemon_state;

// The last client left: the idle period starts again from now.
void note_last_client_left(daemon_state& d);

// From the once-a-second tick: true when exit_when_idle_s is set and berthd has been idle for
// that long (logged at info). Counted from the first moment idleness was seen, so berthd is
// never idle for less than the period, and at most a tick more.
[[nodiscard]] bool idle_period_over(daemon_state& d, std::chrono::steady_clock::time_point now);

}  // namespace berth::daemon
