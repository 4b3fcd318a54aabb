// Session options: validation against a plugin's JSON Schema, and typed access.
//
// The host validates every session's options against the plugin's schema before it calls
// session_open, and plugins read them through session_options, which validates again (a
// plugin may be loaded by a host that does not). One validator, so the host and the plugin
// can never disagree on what is valid. nlohmann::json stays out of this header.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::sdk {

// An empty string when options_json is valid for schema_json; otherwise one line naming the
// option and what was expected, e.g. "unknown option 'imgae' (accepted: command, env, tty)".
// A broken schema is reported as such. Beyond the schema: no string in the options (values at
// any depth, member names, options the schema does not list) may hold a NUL byte, which an
// argv, an environment entry or a path would silently end at, e.g.
// `option 'env.A' value "b\u0000c" contains a NUL byte` (an echoed value is cut to about 64
// characters). This is the one place that rule lives; plugins need no check of their own.
[[nodiscard]] std::string validate_options(std::string_view schema_json,
                                           std::string_view options_json);

class session_options {
public:
    // Throws sdk::error(BERTH_ERR_INVALID_ARGUMENT) when the options do not fit the schema.
    session_options(std::string_view schema_json, std::string_view options_json);
    ~session_options();
    session_options(session_options&&) noexcept;
    session_options& operator=(session_options&&) noexcept;

    [[nodiscard]] bool has(std::string_view key) const;
    [[nodiscard]] std::optional<std::string> string(std::string_view key) const;
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key) const;
    [[nodiscard]] bool flag(std::string_view key, bool fallback = false) const;
    [[nodiscard]] std::vector<std::string> strings(std::string_view key) const;  // [] if absent
    [[nodiscard]] std::map<std::string, std::string> string_map(std::string_view key) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace berth::sdk
