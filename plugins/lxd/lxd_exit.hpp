// How LXD's exec return value becomes berth's exit record. Pure.
//
// LXD reports a command killed by signal N as return value 128+N, the same as `exit 128+N`:
// the record says a signal only when berth sent that signal, and otherwise keeps the number and
// says that it may be either.
#pragma once

#include <berth/sdk/plugin.hpp>

#include <span>
#include <string>

namespace berth::plugins::lxd {

[[nodiscard]] sdk::exit_status classify_return(int value, std::span<const int> signals_sent);

// "SIGTERM (15)", for messages.
[[nodiscard]] std::string signal_name(int signo);

}  // namespace berth::plugins::lxd
