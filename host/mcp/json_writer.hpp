// Compact JSON text for berth mcp's messages. nlohmann's dump() checks UTF-8 one byte at a time
// through a state machine, which at a megabyte page (the output, then the same JSON again as the
// result's text block) was most of a console_get_output's cost; this writer copies runs of plain
// ASCII in bulk. Like dump(-1, ' ', false, error_handler_t::replace), it never throws:
// invalid UTF-8 (a terminal's bytes) becomes U+FFFD.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace berth::mcp {

// Appends `value` as compact JSON text to `out`.
void append_json(std::string& out, const nlohmann::json& value);

[[nodiscard]] std::string to_json_text(const nlohmann::json& value);

}  // namespace berth::mcp
