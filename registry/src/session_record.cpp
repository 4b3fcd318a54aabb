#include <berth/registry/session_record.hpp>

namespace berth::registry {

std::string_view to_string(session_state s) noexcept {
    switch (s) {
        case session_state::starting:
            return "starting";
        case session_state::running:
            return "running";
        case session_state::exited:
            return "exited";
        case session_state::failed:
            return "failed";
        case session_state::closed:
            return "closed";
        case session_state::lost:
            return "lost";
    }
    return "unknown";
}

bool is_final(session_state s) noexcept {
    switch (s) {
        case session_state::exited:
        case session_state::failed:
        case session_state::closed:
        case session_state::lost:
            return true;
        case session_state::starting:
        case session_state::running:
            return false;
    }
    return false;
}

bool failed(const exit_status& s) noexcept { return !s.exit_code && s.term_signal <= 0; }

std::optional<int> shell_status(const exit_status& s) noexcept {
    if (s.exit_code) return *s.exit_code;
    if (s.term_signal > 0) return 128 + s.term_signal;
    return std::nullopt;
}

}  // namespace berth::registry
