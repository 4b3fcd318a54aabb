#include "session_persistence.hpp"

#include <spdlog/spdlog.h>

namespace berth::daemon {
namespace {

std::string signature(const std::vector<registry::session_record>& records) {
    std::string s;
    for (const auto& r : records) s += r.id + ":" + std::string(registry::to_string(r.state)) + ";";
    return s;
}

}  // namespace

void session_persistence::save_if_changed() {
    const std::lock_guard lock(mutex_);
    const auto records = host_.session_records();
    auto sig = signature(records);
    if (!dirty_.exchange(false) && sig == last_signature_) return;
    try {
        store_.save(records);
        last_signature_ = std::move(sig);
    } catch (const std::exception& e) {
        dirty_ = true;
        spdlog::error("cannot save session state: {}", e.what());
    }
}

void session_persistence::restore() {
    std::string problem;
    for (auto r : store_.load(problem)) {
        if (!registry::is_final(r.state)) {
            r.reason =
                "berthd restarted; last known state: " + std::string(registry::to_string(r.state)) +
                (r.reason.empty() ? "" : " (" + r.reason + ")");
            if (!r.ended) r.ended = registry::clock::now();
            r.state = registry::session_state::lost;
        }
        if (auto kept = host_.restore_session(std::move(r)); !kept)
            spdlog::warn("skipped a persisted session: {}", kept.err().message);
    }
    if (!problem.empty()) spdlog::warn("{}", problem);
    if (const auto pruned = host_.prune_session_logs(); pruned > 0)
        spdlog::info("removed {} session logs no record refers to", pruned);
}

}  // namespace berth::daemon
