// Checks a tool call's arguments against the tool's inputSchema, so that a bad call becomes a
// tool error naming the field (an agent can fix that) rather than a protocol error. Covers the
// schema keywords the catalog uses: type (one or a list), enum, minimum, maximum, minLength,
// minItems, items, required, additionalProperties.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace berth::mcp {

// nullopt when `args` fits `schema`; else what is wrong, e.g. "field 'rows': expected an
// integer >= 1, got \"x\"".
[[nodiscard]] std::optional<std::string> check_args(const nlohmann::json& args,
                                                    const nlohmann::json& schema);

}  // namespace berth::mcp
