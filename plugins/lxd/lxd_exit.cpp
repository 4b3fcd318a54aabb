#include "lxd_exit.hpp"

#include <algorithm>
#include <cstring>

namespace berth::plugins::lxd {

std::string signal_name(int signo) {
    const char* name = sigabbrev_np(signo);
    return name == nullptr ? "signal " + std::to_string(signo)
                           : "SIG" + std::string(name) + " (" + std::to_string(signo) + ")";
}

sdk::exit_status classify_return(int value, std::span<const int> signals_sent) {
    if (value < 0) {
        sdk::exit_status s;
        s.failed = true;
        s.reason = "LXD gave the command no exit status (" + std::to_string(value) + ")";
        return s;
    }
    const int signo = value - 128;
    if (signo < 1 || signo > 64) return sdk::exit_status::code(value);
    if (std::find(signals_sent.begin(), signals_sent.end(), signo) != signals_sent.end()) {
        auto s = sdk::exit_status::signal(signo);
        s.reason = "ended by " + signal_name(signo) + ", which berth sent (LXD reports it as " +
                   "exit status " + std::to_string(value) + ")";
        return s;
    }
    auto s = sdk::exit_status::code(value);
    s.reason = "exit status " + std::to_string(value) + ": LXD reports a command killed by " +
               signal_name(signo) +
               " the same way, and berth sent no such signal, so it may be either";
    return s;
}

}  // namespace berth::plugins::lxd
