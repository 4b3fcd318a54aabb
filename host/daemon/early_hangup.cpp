#include "early_hangup.hpp"

#include <csignal>

namespace berth::daemon {
namespace {

volatile std::sig_atomic_t noted = 0;

extern "C" void note_hangup(int /*signo*/) { noted = 1; }

}  // namespace

void note_hangups_until_serving() {
    struct sigaction action {};
    action.sa_handler = note_hangup;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGHUP, &action, nullptr);
}

bool take_noted_hangup() {
    const bool was = noted != 0;
    noted = 0;
    return was;
}

}  // namespace berth::daemon
