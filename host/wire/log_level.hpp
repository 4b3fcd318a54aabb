// Log levels as berth's programs take them: --log-level and $BERTH_LOG_LEVEL.
#pragma once

#include <string>
#include <vector>

namespace berth::wire {

// The names --log-level accepts (for CLI11's IsMember), and the same joined by '|' for help texts
// and messages.
const std::vector<std::string>& log_level_names();
std::string log_level_choices();

// Sets spdlog's level; false, and the level unchanged, when `name` is not a level
// (spdlog::level::from_str maps anything unknown to "off", which would silence the program).
bool set_log_level(const std::string& name);

// Applies $BERTH_LOG_LEVEL when it is set. A value that is not a level is reported as a warning
// naming the variable, and the level set before stays.
void apply_log_level_env();

}  // namespace berth::wire
