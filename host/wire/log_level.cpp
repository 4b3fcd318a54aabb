#include "log_level.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace berth::wire {

const std::vector<std::string>& log_level_names() {
    static const std::vector<std::string> names{"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
    return names;
}

std::string log_level_choices() {
    std::string out;
    for (const auto& n : log_level_names()) out += (out.empty() ? "" : "|") + n;
    return out;
}

bool set_log_level(const std::string& name) {
    const auto level = spdlog::level::from_str(name);
    if (level == spdlog::level::off && name != "off") return false;
    spdlog::set_level(level);
    return true;
}

void apply_log_level_env() {
    const char* env = std::getenv("BERTH_LOG_LEVEL");
    if (env == nullptr || set_log_level(env)) return;
    spdlog::warn("BERTH_LOG_LEVEL='{}' is not a level ({}); using {}", env, log_level_choices(),
                 log_level_names().at(static_cast<std::size_t>(spdlog::get_level())));
}

}  // namespace berth::wire
