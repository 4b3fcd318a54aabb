// The options a session of the ABI 1.0 test plugin takes, read from the host's JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::abi10 {

struct session_options {
    std::vector<std::string> command;  // argv; argv[0] looked up in PATH
    bool tty = false;
    std::uint16_t rows = 24;
    std::uint16_t cols = 80;
};

// The JSON Schema of the options (what options_schema returns).
[[nodiscard]] const std::string& options_schema();

// Reads options_json. Throws std::invalid_argument naming the option that is wrong (an
// unknown one by its name) and what was expected.
[[nodiscard]] session_options parse_options(std::string_view options_json);

}  // namespace berth::abi10
