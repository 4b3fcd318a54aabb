// Session records as JSON: the wire format of session.get/list and the persisted state.
#pragma once

#include <berth/registry/session_record.hpp>

#include <nlohmann/json.hpp>
#include <optional>

namespace berth::wire {

[[nodiscard]] nlohmann::json to_json(const registry::session_record& r);
// nullopt when the JSON is not a record (a corrupt state file entry is skipped, not fatal).
[[nodiscard]] std::optional<registry::session_record> record_from_json(const nlohmann::json& j);

}  // namespace berth::wire
