// Guards for JSON that comes from a client. nlohmann::json parses iteratively, but dumping a
// value and several of its algorithms recurse: a 100,000-deep array is a stack overflow
// waiting for the first reply that echoes it. So nesting is bounded before parsing, and what
// goes back to a client is a bounded preview, never the client's value whole.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace berth::wire {

// Deepest nesting of arrays/objects a request may have. berthd's deepest legitimate request
// (session.open options with an env map) is 4 levels.
constexpr std::size_t k_max_json_depth = 64;

// True when `text` opens more than max_depth arrays/objects at once (brackets inside strings
// do not count). Linear, no allocation; meant to run before json::parse.
[[nodiscard]] bool nesting_exceeds(std::string_view text, std::size_t max_depth) noexcept;

// At most max_bytes of `text`, cut on a UTF-8 character boundary, with "..." when cut.
[[nodiscard]] std::string preview(std::string_view text, std::size_t max_bytes = 64);

// A compact dump of `value` cut like preview(). `value` must be depth-bounded (it came
// through nesting_exceeds or was built by berthd).
[[nodiscard]] std::string preview_value(const nlohmann::json& value, std::size_t max_bytes = 64);

// Serialises a reply for the wire: one line, invalid UTF-8 replaced, newline at the end.
[[nodiscard]] std::string to_frame(const nlohmann::json& reply);

}  // namespace berth::wire
