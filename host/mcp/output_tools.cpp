// console_get_output and console_wait_for_output: pages of output by cursor, and waits woken by
// output (berthd's session.wait and long-polling session.read; nothing here polls).
#include <re2/re2.h>

#include "screen_render.hpp"
#include "tool_handlers.hpp"

namespace berth::mcp {
namespace {
using namespace std::chrono;

constexpr std::uint64_t k_default_page = 16384;
// The screen view replays at most this much of the newest output into the terminal emulator.
constexpr std::uint64_t k_screen_replay_bytes = std::uint64_t{2} << 20;
// A pattern that never matches: berthd's wait on it ends only when the session does.
constexpr const char* k_never = R"(\b\B)";

std::uint64_t page_limit(const tool_env& env, const json& args) {
    return std::min<std::uint64_t>(args.value("max_bytes", k_default_page),
                                   env.rules.max_output_bytes);
}

text_view view_of(const json& args) {
    return args.value("view", "raw") == "plain" ? text_view::plain : text_view::raw;
}

tool_outcome screen_page(tool_env& env, const json& args, const json& record) {
    const std::string session = args["session"];
    const int rows = args.value("rows", 24);
    const int cols = args.value("cols", 80);
    const std::uint64_t end = record.value("end_offset", std::uint64_t{0});
    const std::uint64_t from = end > k_screen_replay_bytes ? end - k_screen_replay_bytes : 0;
    BERTH_TOOL_TRY(out, read_output(env, session, from, end - from));
    screen_renderer term(rows, cols);
    term.feed(out.bytes);
    const auto snap = term.snapshot();
    json result = {{"session", session}, {"view", "screen"}, {"end_offset", end}};
    put_exit_fields(result, record);
    result["cursor"] = out.begin;
    result["next_cursor"] = out.begin + out.bytes.size();
    result["truncated"] = false;
    result["dropped"] = out.dropped;
    result["encoding"] = "text";
    result["stderr_ranges"] = json::array();
    result["output"] = term.text();
    result["screen"] = {{"rows", snap.rows},
                        {"cols", snap.cols},
                        {"cursor_row", snap.cursor_row},
                        {"cursor_col", snap.cursor_col},
                        {"alt_screen", snap.alt_screen},
                        {"replayed_from", out.begin}};
    return tool_outcome::ok(std::move(result));
}

// The page of a wait's result: the output up to `until` (its last max_bytes when there is
// more since the wait's cursor), with the session's state.
tool_outcome wait_result(tool_env& env, const json& args, json result, std::uint64_t cursor,
                         std::optional<std::uint64_t> until, bool keep_cursor) {
    const std::string session = args["session"];
    json record;
    if (!until) {  // the page ends where the output does now
        BERTH_TOOL_TRY(got, env.call("session.get", {{"id", session}}));
        record = std::move(got);
    }
    const std::uint64_t to = until ? *until : record.value("end_offset", std::uint64_t{0});
    const std::uint64_t limit = page_limit(env, args);
    const std::uint64_t from = to - cursor > limit ? to - limit : cursor;
    BERTH_TOOL_TRY(out, read_output(env, session, from, to > from ? to - from : 0));
    if (record.is_null()) {
        if (out.status.is_null()) {
            BERTH_TOOL_TRY(got, env.call("session.get", {{"id", session}}));
            record = std::move(got);
        } else {
            record = out.status;
        }
    }
    const std::uint64_t end = record.value("end_offset", std::uint64_t{0});
    const bool cut = from > cursor;
    result["session"] = session;
    result["end_offset"] = end;
    result["view"] = args.value("view", "raw");
    put_exit_fields(result, record);
    put_page(result, std::move(out), view_of(args), false, true, limit);
    result["truncated"] = cut || result["cursor"].get<std::uint64_t>() > cursor;
    if (keep_cursor) result["next_cursor"] = cursor;
    return tool_outcome::ok(std::move(result));
}

tool_outcome wait_idle(tool_env& env, const json& args, std::uint64_t cursor,
                       milliseconds timeout) {
    const std::string session = args["session"];
    const milliseconds idle(args["idle_ms"].get<std::int64_t>());
    const auto deadline = steady_clock::now() + timeout;
    BERTH_TOOL_TRY(record, env.call("session.get", {{"id", session}}));
    std::uint64_t at = std::max(cursor, record.value("end_offset", std::uint64_t{0}));
    while (true) {
        const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
        if (left <= milliseconds(0))
            return wait_result(env, args, {{"outcome", "timeout"}}, cursor, std::nullopt, true);
        const auto slice = std::min(idle, left);
        BERTH_TOOL_TRY(r, env.call("session.read",
                                   {{"id", session},
                                    {"cursor", at},
                                    {"max_bytes", 1 << 20},
                                    {"encoding", "base64"},
                                    {"wait_ms", slice.count()}},
                                   slice + seconds(10)));
        const std::uint64_t next = r.value("next_cursor", at);
        const std::string state = r.value("state", "");
        if (state != "running" && state != "starting")
            return wait_result(env, args, {{"outcome", "ended"}}, cursor, std::nullopt, false);
        if (next != at) {
            at = next;  // output: the quiet period starts again
            continue;
        }
        if (slice == idle)
            return wait_result(env, args, {{"outcome", "idle"}}, cursor, std::nullopt, false);
    }
}

}  // namespace

std::variant<json, std::string> wait_until_ended(tool_env& env, const std::string& session,
                                                 std::uint64_t cursor, milliseconds timeout) {
    auto w = env.call("session.wait",
                      {{"id", session},
                       {"pattern", k_never},
                       {"cursor", cursor},
                       {"timeout_ms", timeout.count()}},
                      timeout + seconds(10));
    if (auto* e = std::get_if<std::string>(&w)) return *e;
    return env.call("session.get", {{"id", session}});
}

tool_outcome get_output(tool_env& env, const json& args) {
    const std::string session = args["session"];
    const std::string view = args.value("view", "raw");
    const bool base64 = args.value("encoding", "text") == "base64";
    if (view == "screen" && base64)
        return tool_outcome::fail(
            "field 'encoding': the screen view is text; use view raw for base64");
    const std::uint64_t cursor = args.value("cursor", std::uint64_t{0});
    if (view == "screen") {
        BERTH_TOOL_TRY(record, env.call("session.get", {{"id", session}}));
        return screen_page(env, args, record);
    }
    const std::uint64_t limit = page_limit(env, args);
    BERTH_TOOL_TRY(out, read_output(env, session, cursor, limit + (base64 ? 0 : k_utf8_lookahead)));
    json record = out.status;
    if (record.is_null()) {  // a stream read: ask for the state and end now
        BERTH_TOOL_TRY(got, env.call("session.get", {{"id", session}}));
        record = std::move(got);
    }
    if (base64 && view != "raw")
        return tool_outcome::fail(
            "field 'encoding': base64 gives exact bytes, so only with view raw");
    const std::uint64_t end = record.value("end_offset", std::uint64_t{0});
    json result = {{"session", session}, {"view", view}, {"end_offset", end}};
    put_exit_fields(result, record);
    put_page(result, std::move(out), view_of(args), base64, false, limit);
    const auto next = result["next_cursor"].get<std::uint64_t>();
    result["truncated"] = next < end;
    auto outcome = tool_outcome::ok(std::move(result));
    if (base64)
        outcome.text = "output [" +
                       std::to_string(outcome.structured["cursor"].get<std::uint64_t>()) + ", " +
                       std::to_string(next) + ") of " + session + " (end_offset " +
                       std::to_string(end) + ") is in structuredContent.output, base64";
    return outcome;
}

tool_outcome wait_for_output(tool_env& env, const json& args) {
    const std::string session = args["session"];
    const std::uint64_t cursor = args.value("cursor", std::uint64_t{0});
    const milliseconds timeout =
        std::min(milliseconds(args.value("timeout_ms", std::int64_t{10000})), k_max_wait);
    int modes = 0;
    for (const char* m : {"pattern", "literal", "idle_ms"}) modes += args.contains(m);
    modes += args.value("exit", false);
    if (modes != 1)
        return tool_outcome::fail(
            "give exactly one of 'pattern', 'literal', 'exit': true or 'idle_ms'");

    if (args.contains("idle_ms")) return wait_idle(env, args, cursor, timeout);
    if (args.value("exit", false)) {
        BERTH_TOOL_TRY(record, wait_until_ended(env, session, cursor, timeout));
        const std::string state = record.value("state", "");
        const bool ended = state != "running" && state != "starting";
        return wait_result(env, args, {{"outcome", ended ? "exited" : "timeout"}}, cursor,
                           std::nullopt, !ended);
    }
    std::string pattern = args.contains("literal")
                              ? RE2::QuoteMeta(args["literal"].get<std::string>())
                              : args["pattern"].get<std::string>();
    if (args.contains("pattern")) {
        const RE2 re(pattern, RE2::Quiet);
        if (!re.ok())
            return tool_outcome::fail("field 'pattern': not a valid RE2 expression: " + re.error());
    }
    BERTH_TOOL_TRY(w, env.call("session.wait",
                               {{"id", session},
                                {"pattern", pattern},
                                {"cursor", cursor},
                                {"timeout_ms", timeout.count()}},
                               timeout + seconds(10)));
    const std::string outcome = w.value("outcome", "timeout");
    if (outcome == "matched") {
        const std::uint64_t begin = w.value("begin", std::uint64_t{0});
        const std::uint64_t end = w.value("end", begin);
        json result = {{"outcome", "matched"},
                       {"match", {{"begin", begin}, {"end", end}, {"text", w.value("match", "")}}}};
        return wait_result(env, args, std::move(result), cursor, end, false);
    }
    return wait_result(env, args, {{"outcome", outcome}}, cursor, std::nullopt,
                       outcome == "timeout");
}

}  // namespace berth::mcp
