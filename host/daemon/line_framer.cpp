#include "line_framer.hpp"

namespace berth::daemon {

void line_framer::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto nl = bytes.find('\n');
        const auto piece = bytes.substr(0, nl);
        if (!discarding_) {
            if (tail_.size() + piece.size() > max_line_) {
                discarding_ = true;
                std::string().swap(tail_);  // give the memory back now, not at the newline
            } else {
                tail_.append(piece);
            }
        }
        if (nl == std::string_view::npos) return;
        if (discarding_) {
            ready_.push_back({true, {}});
            discarding_ = false;
        } else {
            ready_bytes_ += tail_.size();
            ready_.push_back({false, std::move(tail_)});
            tail_.clear();
        }
        bytes.remove_prefix(nl + 1);
    }
}

void line_framer::finish() {
    if (discarding_) {
        ready_.push_back({true, {}});
        discarding_ = false;
    } else if (!tail_.empty()) {
        ready_bytes_ += tail_.size();
        ready_.push_back({false, std::move(tail_)});
        tail_.clear();
    }
}

std::optional<line_framer::frame> line_framer::next() {
    if (ready_.empty()) return std::nullopt;
    frame f = std::move(ready_.front());
    ready_.pop_front();
    ready_bytes_ -= f.line.size();
    return f;
}

std::optional<std::string> line_framer::take_rest() {
    std::string rest;
    bool whole = !discarding_;
    for (auto& f : ready_) {
        whole = whole && !f.too_long;
        rest += f.line;
        rest += '\n';
    }
    rest += tail_;
    ready_.clear();
    ready_bytes_ = 0;
    tail_.clear();
    discarding_ = false;
    if (!whole) return std::nullopt;
    return rest;
}

}  // namespace berth::daemon
