#include "tool_support.hpp"

#include "base64.hpp"
#include "json_writer.hpp"
#include "plain_text.hpp"
#include "session_json.hpp"
#include "stream_frame.hpp"
#include "utf8_page.hpp"

namespace berth::mcp {
namespace {
using json = nlohmann::json;

constexpr std::uint8_t k_stderr_stream = 2;  // a DATA frame's stream byte (docs/api.md)
// Pages up to this go by session.read on a pooled connection; larger ones by session.stream.
constexpr std::uint64_t k_small_read = 64 << 10;

// Where a page of terminal output may end so that no escape sequence is cut in two: before an
// ESC near the end whose sequence is not finished within the page (the next page then starts
// with the whole sequence). A sequence longer than the whole page is let through.
std::size_t escape_safe_cut(std::string_view bytes, std::size_t n) {
    const std::size_t look = std::min<std::size_t>(n, 512);
    const auto esc = bytes.substr(0, n).find_last_of('\x1b');
    if (esc == std::string_view::npos || esc == 0 || esc < n - look) return n;
    const std::string_view seq = bytes.substr(esc, n - esc);
    bool complete = false;
    if (seq.size() >= 2) {
        const char kind = seq[1];
        if (kind == '[') {
            for (std::size_t i = 2; i < seq.size() && !complete; ++i)
                complete = seq[i] >= 0x40 && seq[i] <= 0x7e;
        } else if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
            complete = seq.find('\x07', 2) != std::string_view::npos ||
                       seq.find("\x1b\\", 2) != std::string_view::npos;
        } else if (std::string_view("()*+-./%#").find(kind) != std::string_view::npos) {
            complete = seq.size() >= 3;
        } else {
            complete = true;
        }
    }
    return complete ? n : esc;
}

// The first byte at or after `from` that begins a UTF-8 character (skips at most 3
// continuation bytes).
std::size_t utf8_start(std::string_view bytes, std::size_t from) {
    for (int i = 0;
         i < 3 && from < bytes.size() && (static_cast<unsigned char>(bytes[from]) & 0xC0) == 0x80;
         ++i)
        ++from;
    return from;
}

std::string rendered(std::string_view bytes, text_view view) {
    return view == text_view::plain ? plain_text(bytes) : to_valid_utf8(bytes);
}

}  // namespace

std::variant<json, std::string> tool_env::call(const std::string& method, const json& params,
                                               std::chrono::milliseconds timeout) {
    auto r = link.call(method, params, timeout, &cancel);
    if (cancel.cancelled()) return std::string("cancelled");
    if (!r) return "berthd: " + r.err().message;
    return std::move(r.value());
}

void put_exit_fields(json& out, const json& record) {
    out["state"] = record.value("state", "");
    out["exit_code"] = record.value("exit_code", json());
    out["signal"] = record.value("signal", json());
    out["reason"] = record.value("reason", "");
}

json session_summary(const json& r) {
    json s = {{"session", r.value("id", "")},
              {"runtime", r.value("runtime", "")},
              {"target", r.value("target", "")},
              {"tty", r.value("tty", false)},
              {"argv", r.value("argv", json::array())},
              {"pid", r.value("pid", json())},
              {"end_offset", r.value("end_offset", std::uint64_t{0})},
              {"created_ms", r.value("created_ms", std::int64_t{0})}};
    put_exit_fields(s, r);
    return s;
}

namespace {

void add_run(raw_output& out, bool from_stderr, std::string_view bytes) {
    const std::uint64_t at = out.begin + out.bytes.size();
    if (from_stderr && !bytes.empty()) {
        if (!out.stderr_ranges.empty() && out.stderr_ranges.back().second == at)
            out.stderr_ranges.back().second += bytes.size();
        else
            out.stderr_ranges.emplace_back(at, at + bytes.size());
    }
    out.bytes.append(bytes);
}

}  // namespace

// A small page: one session.read on a pooled connection (a stream would cost a connection).
std::variant<raw_output, std::string> read_awaiting(tool_env& env, const std::string& session,
                                                    std::uint64_t cursor, std::uint64_t max_bytes,
                                                    std::chrono::milliseconds wait) {
    raw_output out;
    out.begin = cursor;
    json params = {{"id", session},
                   {"cursor", cursor},
                   {"max_bytes", std::min(max_bytes, k_small_read)},
                   {"encoding", "base64"}};
    if (wait.count() > 0) params["wait_ms"] = wait.count();
    auto r = env.call("session.read", params, wait + std::chrono::seconds(30));
    if (auto* e = std::get_if<std::string>(&r)) return *e;
    const json& res = std::get<json>(r);
    out.dropped = res.value("dropped", std::uint64_t{0});
    out.begin = cursor + out.dropped;
    for (const auto& run : wire::output_runs(res)) add_run(out, run.stream == "stderr", run.bytes);
    if (res.contains("end_offset")) {
        out.status = {{"end_offset", res["end_offset"]}};
        put_exit_fields(out.status, res);
    }
    return out;
}

std::variant<raw_output, std::string> read_output(tool_env& env, const std::string& session,
                                                  std::uint64_t cursor, std::uint64_t max_bytes) {
    raw_output out;
    out.begin = cursor;
    if (max_bytes == 0) return out;
    if (max_bytes <= k_small_read)
        return read_awaiting(env, session, cursor, max_bytes, std::chrono::milliseconds(0));
    // Bulk output on the binary stream, not session.read: berthd sends the bytes as they are
    // (no base64, no JSON), which is what makes paging megabytes fast.
    auto opened = env.link.open_stream(session, cursor);
    if (!opened) return "berthd: " + opened.err().message;
    auto& stream = opened.value();
    if (!env.cancel.attach(stream.native_handle())) return std::string("cancelled");
    const cancel_detach detach{&env.cancel};
    std::optional<std::string> failed;
    while (out.bytes.size() < max_bytes) {
        auto f = stream.next(std::chrono::seconds(30));
        if (!f) {
            failed = "berthd: " + f.err().message;
            break;
        }
        const auto& frame = f.value();
        if (frame.type == wire::frame_type::end) break;
        if (frame.type == wire::frame_type::dropped) {
            if (!out.bytes.empty()) break;  // a gap inside a page: the next read reports it
            out.dropped += wire::dropped_bytes(frame);
            out.begin = cursor + out.dropped;
            continue;
        }
        if (frame.type != wire::frame_type::data) continue;
        const std::size_t take =
            std::min<std::size_t>(frame.payload.size(), max_bytes - out.bytes.size());
        add_run(out, frame.stream == k_stderr_stream,
                std::string_view(frame.payload).substr(0, take));
    }
    if (env.cancel.cancelled()) return std::string("cancelled");
    if (failed) return *failed;
    return out;
}

void put_page(json& result, raw_output out, text_view view, bool base64, bool from_end,
              std::size_t max_bytes) {
    std::string_view bytes = out.bytes;
    std::size_t skip = 0;  // bytes left out at the front (from_end)
    std::size_t n = std::min(bytes.size(), max_bytes);
    std::string text;
    if (base64) {
        text = wire::base64_encode(bytes.substr(0, n));
    } else {
        const std::size_t base = to_json_text(result).size() + 64;  // the rest of the result
        const std::size_t budget = k_max_result_chars > base ? k_max_result_chars - base : 1024;
        std::size_t want = std::min(max_bytes, budget);
        // A character whose last bytes have not arrived (or are past what was read) waits for
        // the next page, unless it is all the page would hold (then it shows as U+FFFD, and
        // the reader still moves on).
        const auto without_incomplete_tail = [](std::string_view b) {
            const std::size_t hold = utf8_incomplete_tail(b);
            return hold < b.size() ? b.size() - hold : b.size();
        };
        for (int attempt = 0; attempt < 8; ++attempt) {
            if (from_end) {
                const std::size_t end = without_incomplete_tail(bytes);
                skip = end > want ? utf8_start(bytes, end - want) : 0;
                n = end - skip;
            } else {
                n = utf8_safe_cut(bytes, want);
                if (n == bytes.size()) n = without_incomplete_tail(bytes);
                if (n == 0 && !bytes.empty())  // max_bytes shorter than the first character
                    n = std::max<std::size_t>(1, utf8_safe_cut(bytes, 4));
                if (view == text_view::plain && n < bytes.size()) n = escape_safe_cut(bytes, n);
            }
            text = rendered(bytes.substr(skip, n), view);
            const std::size_t size = to_json_text(json(text)).size();
            if (size <= budget || want <= 16) break;
            want = std::max<std::size_t>(16, want * budget / size * 95 / 100);
        }
    }
    const std::uint64_t page_begin = out.begin + skip;
    json ranges = json::array();
    for (const auto& [b, e] : out.stderr_ranges) {
        const auto lo = std::max<std::uint64_t>(b, page_begin);
        const auto hi = std::min<std::uint64_t>(e, page_begin + n);
        if (lo < hi) ranges.push_back({lo, hi});
    }
    result["cursor"] = page_begin;
    result["next_cursor"] = page_begin + n;
    result["dropped"] = out.dropped;
    result["encoding"] = base64 ? "base64" : "text";
    result["stderr_ranges"] = std::move(ranges);
    result["output"] = std::move(text);
}

}  // namespace berth::mcp
