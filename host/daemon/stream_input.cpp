#include "stream_input.hpp"

#include <spdlog/spdlog.h>

namespace berth::daemon {

input_result apply_input(host::session& s, const wire::stream_frame& f) {
    host::result<void> r;
    const char* what = "input";
    bool carries_input = true;  // INPUT and CLOSE_INPUT: losing one changes what stdin reads
    switch (f.type) {
        case wire::frame_type::input:
            if (f.payload.empty()) return {};
            r = s.write(f.payload);
            break;
        case wire::frame_type::close_input:
            what = "close_input";
            r = s.close_input();
            break;
        case wire::frame_type::resize: {
            what = "resize";
            carries_input = false;
            const auto size = wire::resize_of(f);
            r = s.resize(size.rows, size.cols);
            break;
        }
        case wire::frame_type::signal:
            what = "signal";
            carries_input = false;
            r = s.signal(static_cast<int>(wire::signal_of(f)));
            break;
        default:  // the parser lets only client frames through
            return {};
    }
    if (r) return {};
    std::string message = std::string(what) + " frame not applied: " + r.err().message;
    if (r.err().code == BERTH_ERR_STATE) {  // it ended, or its input is closed
        spdlog::debug("session.stream of {}: {}", s.entry()->id(), message);
        return {input_outcome::dropped, std::move(message)};
    }
    if (!carries_input) {  // e.g. no terminal to resize
        spdlog::info("session.stream of {}: {}", s.entry()->id(), message);
        return {input_outcome::dropped, std::move(message)};
    }
    return {input_outcome::failed, std::move(message)};
}

}  // namespace berth::daemon
