// What the console_* tool handlers share: berthd calls that report failures as tool errors,
// session records as tools show them, and pages of output.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "console_tools.hpp"

// In a tool handler: `var` is the value of `expr` (a variant of a value and an error text), or
// the handler returns the error as the tool's error.
#define BERTH_TOOL_TRY(var, expr)                                                                \
    auto var##_r = (expr);                                                                       \
    if (auto* var##_e = std::get_if<std::string>(&var##_r)) return tool_outcome::fail(*var##_e); \
    auto& var = std::get<0>(var##_r)

namespace berth::mcp {

// The handlers' view of one call: the link, the policy, the cancel scope.
struct tool_env {
    berthd_link& link;
    const policy& rules;
    cancel_scope& cancel;

    // A berthd call; a failure becomes the tool error text ("berthd: ..." or "cancelled").
    [[nodiscard]] std::variant<nlohmann::json, std::string> call(
        const std::string& method, const nlohmann::json& params,
        std::chrono::milliseconds timeout = std::chrono::seconds(30));
};

// Largest result text (characters) a tool returns unless it was asked for base64.
inline constexpr std::size_t k_max_result_chars = 45000;
// Every wait returns within this, under common clients' 60 s request timeout.
inline constexpr std::chrono::milliseconds k_max_wait{50000};

// A session.get/list record as the tools show it: session, runtime, state, exit fields, ...
[[nodiscard]] nlohmann::json session_summary(const nlohmann::json& record);
// Copies state, exit_code, signal and reason from a record (or read result) into `out`.
void put_exit_fields(nlohmann::json& out, const nlohmann::json& record);

// Bytes of output read from berthd, where they begin, and which of them came from stderr.
struct raw_output {
    std::uint64_t begin = 0;
    std::string bytes;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> stderr_ranges;
    std::uint64_t dropped = 0;
    // When the read came with it (session.read does): state, exit_code, signal, reason and
    // end_offset as they were after the read, so no session.get is needed.
    nlohmann::json status;
};

// session.read from `cursor`, at most max_bytes (more calls when berthd returns less).
[[nodiscard]] std::variant<raw_output, std::string> read_output(tool_env& env,
                                                                const std::string& session,
                                                                std::uint64_t cursor,
                                                                std::uint64_t max_bytes);

// One session.read of at most 64 KiB from `cursor` that waits up to `wait` for output when
// there is none past the cursor yet (and returns at once when there is).
[[nodiscard]] std::variant<raw_output, std::string> read_awaiting(tool_env& env,
                                                                  const std::string& session,
                                                                  std::uint64_t cursor,
                                                                  std::uint64_t max_bytes,
                                                                  std::chrono::milliseconds wait);

enum class text_view { raw, plain };

// Bytes to read past a page's max_bytes, so that a cut can see whether a character goes on.
inline constexpr std::uint64_t k_utf8_lookahead = 3;

// Puts a page of `out`, at most max_bytes of it, into `result`: output (text of the view, or
// base64), encoding, stderr_ranges, cursor, next_cursor. Text keeps the whole result under
// k_max_result_chars and never splits a UTF-8 character or an escape sequence; from_end keeps
// the last bytes of `out` (waits show what led to a match) instead of its first.
void put_page(nlohmann::json& result, raw_output out, text_view view, bool base64, bool from_end,
              std::size_t max_bytes);

}  // namespace berth::mcp
