// SIGHUP that arrives before berthd serves. A plugin package's dpkg trigger signals every running
// /usr/bin/berthd, and one may still be probing its plugins: SIGHUP's default action would end
// it. From the start of main, a SIGHUP is only noted; the server, once its own signal handling
// is in place, rescans once for what it missed.
#pragma once

namespace berth::daemon {

// A handler, not SIG_IGN: an ignored signal stays ignored across exec, in every session's
// command; a handled one goes back to its default there.
void note_hangups_until_serving();

// True once, when a SIGHUP was noted since note_hangups_until_serving().
[[nodiscard]] bool take_noted_hangup();

}  // namespace berth::daemon
