#include "logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>

namespace berth::capi {
namespace {

// The callbacks of the live hosts. Guarded by one mutex, also held while a line is handed
// out: callbacks run one at a time (as the header promises), and a host never goes away in
// the middle of its callback.
std::mutex& targets_mutex() {
    static std::mutex m;
    return m;
}
std::list<log_target>& targets() {
    static std::list<log_target> list;
    return list;
}

class callback_sink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const auto level = static_cast<int>(msg.level);
        if (level > BERTH_HOST_LOG_CRITICAL) return;  // "off"
        const std::string logger(msg.logger_name.data(), msg.logger_name.size());
        const std::string text(msg.payload.data(), msg.payload.size());
        std::lock_guard lock(targets_mutex());
        for (const auto& t : targets())
            if (level >= t.min_level)
                t.fn(t.user, static_cast<berth_host_log_level>(level), logger.c_str(),
                     text.c_str());
    }
    void flush_() override {}
};

}  // namespace

void install_default_logger() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Every level reaches the sink, which filters per callback: plugin loggers copy this
        // logger's level when they are made, before the callbacks that will want them exist.
        auto logger = std::make_shared<spdlog::logger>("berth", std::make_shared<callback_sink>());
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(std::move(logger));
    });
}

log_registration::log_registration(const log_target& target) {
    install_default_logger();
    if (target.fn == nullptr) return;
    std::lock_guard lock(targets_mutex());
    it_ = targets().insert(targets().end(), target);
    registered_ = true;
}

log_registration::~log_registration() {
    if (!registered_) return;
    std::lock_guard lock(targets_mutex());
    targets().erase(it_);
}

}  // namespace berth::capi
