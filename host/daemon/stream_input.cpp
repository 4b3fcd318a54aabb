#include "stream_input.hpp"

#include <spdlog/spdlog.h>

namespace berth::daemon {

void apply_input(host::session& s, const wire::stream_frame& f) {
    host::result<void> r;
    const char* what = "input";
    switch (f.type) {
        case wire::frame_type::input:
            if (f.payload.empty()) return;
            r = s.write(f.payload);
            break;
        case wire::frame_type::close_input:
            what = "close_input";
            r = s.close_input();
            break;
        case wire::frame_type::resize: {
            what = "resize";
            const auto size = wire::resize_of(f);
            r = s.resize(size.rows, size.cols);
            break;
        }
        case wire::frame_type::signal:
            what = "signal";
            r = s.signal(static_cast<int>(wire::signal_of(f)));
            break;
        default:  // the parser lets only client frames through
            return;
    }
    if (!r)
        spdlog::info("session.stream of {}: {} frame not applied: {}", s.entry()->id(), what,
                     r.err().message);
}

}  // namespace berth::daemon
