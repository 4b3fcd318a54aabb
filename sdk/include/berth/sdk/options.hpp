// Session options: validation against a plugin's JSON Schema, and typed access.
//
// The host validates every session's options against the plugin's schema before it calls
// session_open, and plugins read them through session_options, which validates again (a
// plugin may be loaded by a host that does not). One validator, so the host and the plugin
// can never disagree on what is valid. nlohmann::json stays out of this header.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::sdk {

// An empty string when options_json is valid for schema_json; otherwise one line naming the
// option and what was expected, e.g. "unknown option 'imgae' (accepted: command, env, tty)".
// A broken schema is reported as such. Beyond the schema: no string in the options (values at
// any depth, member names, options the schema does not list) may hold a NUL byte, which an
// argv, an environment entry or a path would silently end at, e.g.
// `option 'env.A' value "b\u0000c" contains a NUL byte` (an echoed value is cut to about 64
// characters). This is the one place that rule lives for options; plugins need no check of
// their own (option_checks.hpp has the checks a schema cannot say).
[[nodiscard]] std::string validate_options(std::string_view schema_json,
                                           std::string_view options_json);

// An empty string when schema_json is an options schema the host can validate options against
// and that says what its author meant; otherwise one line naming the first problem, e.g.
// "property 'rows' has type 'int', which is not one of string, integer, number, boolean,
// array, object, null". validate_options needs a JSON object with a 'properties' object; this
// also refuses what validate_options would silently misread: a property schema that is not an
// object (it would accept anything), an unknown type (it would accept nothing), a top-level
// type other than "object", a 'required' that is not a list of strings, or one naming an
// option a closed schema does not have (no options could ever pass). `berth plugin validate`
// reports it; plugins built with console_schema always pass.
[[nodiscard]] std::string schema_problem(std::string_view schema_json);

// A terminal's size when the options give none.
inline constexpr std::uint16_t k_default_rows = 24;
inline constexpr std::uint16_t k_default_cols = 80;

// What a plugin says about the console options every runtime plugin accepts: `command`,
// `tty`, `rows`, `cols` and `env`. Their types and bounds are the same everywhere; whether a
// command is required and what the descriptions say is the runtime's.
struct console_fields {
    // True when a session cannot start without a command; false when the runtime has a
    // default (an image's CMD, the user's login shell).
    bool command_required = false;
    std::string_view command_description = "argv to run; no shell unless you name one";
    std::string_view tty_description = "run on a pseudo-terminal";
    std::string_view env_description = "environment variables to set";
};

// A plugin's whole options schema: a closed object ("additionalProperties": false) whose
// properties are the runtime's own (`runtime_properties_json`, a JSON object of property
// schemas) and the console options:
//   command  an array of strings, at least one     tty   a boolean
//   rows     an integer from 1 to 65535             cols  an integer from 1 to 65535
//   env      an object of strings
// plus "required": ["command"] when fields.command_required. (A plugin reads rows and cols
// with integer_as<std::uint16_t>, defaulting to k_default_rows and k_default_cols.) Build it once
// and keep it (a function-local static std::string): the ABI hands the host its NUL-terminated text
// for as long as the plugin lives. Throws sdk::error(BERTH_ERR_INTERNAL) when
// runtime_properties_json is not a JSON object of objects or names a console option: a bug in the
// plugin.
[[nodiscard]] std::string console_schema(std::string_view runtime_properties_json,
                                         const console_fields& fields = {});

class session_options {
public:
    // Throws sdk::error(BERTH_ERR_INVALID_ARGUMENT) when the options do not fit the schema.
    session_options(std::string_view schema_json, std::string_view options_json);
    ~session_options();
    session_options(session_options&&) noexcept;
    session_options& operator=(session_options&&) noexcept;

    // Each accessor reads the top-level option `key`. The schema has already checked types,
    // so a value of another type reads as absent (nullopt, the fallback, empty).
    [[nodiscard]] bool has(std::string_view key) const;
    [[nodiscard]] std::optional<std::string> string(std::string_view key) const;
    // An integer that fits std::int64_t (a JSON number without fraction or exponent).
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key) const;
    // Any JSON number, integers included.
    [[nodiscard]] std::optional<double> number(std::string_view key) const;
    [[nodiscard]] bool flag(std::string_view key, bool fallback = false) const;
    [[nodiscard]] std::vector<std::string> strings(std::string_view key) const;  // [] if absent
    [[nodiscard]] std::map<std::string, std::string> string_map(std::string_view key) const;

    // The integer option `key` when it lies in [min, max]; nullopt when absent. Throws
    // sdk::error(BERTH_ERR_INVALID_ARGUMENT) when it is there but is no integer in that range,
    // e.g. "option 'rows' must be an integer from 1 to 65535, got 70000" (a schema with
    // minimum and maximum says so first; this keeps the cast after it honest).
    [[nodiscard]] std::optional<std::int64_t> integer_in(std::string_view key, std::int64_t min,
                                                         std::int64_t max) const;

    // integer_in with T's range (capped at std::int64_t's): `integer_as<std::uint16_t>("rows")`.
    template <std::integral T>
    requires(!std::same_as<T, bool>)
        [[nodiscard]] std::optional<T> integer_as(std::string_view key) const {
        constexpr auto k_min = std::numeric_limits<T>::min();
        constexpr auto k_max = std::numeric_limits<T>::max();
        constexpr std::int64_t min = std::cmp_less(k_min, std::numeric_limits<std::int64_t>::min())
                                         ? std::numeric_limits<std::int64_t>::min()
                                         : static_cast<std::int64_t>(k_min);
        constexpr std::int64_t max =
            std::cmp_greater(k_max, std::numeric_limits<std::int64_t>::max())
                ? std::numeric_limits<std::int64_t>::max()
                : static_cast<std::int64_t>(k_max);
        const auto v = integer_in(key, min, max);
        if (!v) return std::nullopt;
        return static_cast<T>(*v);
    }

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace berth::sdk
