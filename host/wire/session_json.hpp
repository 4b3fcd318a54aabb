// Session records as JSON: the wire format of session.get/list and the persisted state.
#pragma once

#include <berth/registry/session_record.hpp>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth::wire {

[[nodiscard]] nlohmann::json to_json(const registry::session_record& r);

// An exit status as members of `j`: "exit_code" and "signal" (null when unset) and "reason".
// A session record carries them, and so does a session.read result.
void put_exit_status(nlohmann::json& j, const registry::exit_status& s);
// The exit status those members of `j` describe; missing or mistyped ones read as unset.
[[nodiscard]] registry::exit_status exit_status_from_json(const nlohmann::json& j);
// nullopt when the JSON is not a record (a corrupt state file entry is skipped, not fatal).
[[nodiscard]] std::optional<registry::session_record> record_from_json(const nlohmann::json& j);

// One run of session.read output, its bytes decoded (base64 or text, per the reply's
// "encoding").
struct output_run {
    std::string stream;  // "stdout", "stderr" or "pty"
    std::string bytes;
};
// The runs of a session.read result, in order. Undecodable data yields an empty run.
[[nodiscard]] std::vector<output_run> output_runs(const nlohmann::json& read_result);

}  // namespace berth::wire
