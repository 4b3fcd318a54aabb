// Fuzzes berthd's request path without a socket: the input is what a client sends, cut into
// lines by the daemon's line_framer (fed in uneven pieces, as reads return them), each line
// answered by rpc_service::handle_line over a host with no plugins, so no method can start a
// process whatever the input asks.
//
// Invariants:
//   - the framer yields exactly the input's lines (a line over the limit as one too_long
//     report), and holds at most the limit of an unfinished line;
//   - every reply frame is one line of JSON: a reply object (or, for a batch, an array of
//     them) with "jsonrpc":"2.0", an id, and exactly one of result and error (an integer
//     code, a string message);
//   - a request with an id gets a reply; it echoes a string or integer id, anything else as
//     null; a line that is not JSON, or is nested too deep, gets one parse error;
//   - a reply grows at most linearly with the request (no echo of a client's value whole).
#include <berth/host/host.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_config.hpp"
#include "fuzz_check.hpp"
#include "json_limits.hpp"
#include "line_framer.hpp"
#include "rpc_service.hpp"

namespace berth::fuzz {
namespace {

using json = nlohmann::json;

constexpr std::size_t k_small_line_limit = 40;
constexpr std::size_t k_max_string_id = 256;  // rpc_request.hpp's k_max_id_bytes
constexpr std::size_t k_max_batch = 64;       // and its k_max_batch

struct service_under_test {
    host::host h{[] {
        host::host_options o;
        o.plugin_dirs = std::vector<std::filesystem::path>{};  // no plugin, nothing spawned
        return o;
    }()};
    daemon::daemon_config config;
    daemon::rpc_service service{h, config};
};

service_under_test& the_service() {
    static auto* s = new service_under_test();  // never destroyed: outlives libFuzzer's exit
    return *s;
}

bool blank(std::string_view line) {
    return std::all_of(line.begin(), line.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// The id a reply to `request` may carry: a string (up to the length berthd echoes) or an
// integer comes back as it was; anything else as null.
json echoed_id(const json& request) {
    const json& id = request["id"];
    if (id.is_number_integer()) return id;
    if (id.is_string() && id.get_ref<const std::string&>().size() <= k_max_string_id) return id;
    return nullptr;
}

// A request whose envelope is right, so its id is known for sure (a reply to a broken one
// may say null, as JSON-RPC 2.0 allows when the request is invalid).
bool valid_envelope(const json& request) {
    const auto params = request.find("params");
    return request.value("jsonrpc", json()) == "2.0" && request.contains("method") &&
           request["method"].is_string() &&
           (params == request.end() || params->is_object() || params->is_array());
}

bool has_id(const json& request) { return request.is_object() && request.contains("id"); }

void check_reply_object(const json& reply) {
    check(reply.is_object(), "a reply is not an object");
    check(reply.value("jsonrpc", json()) == "2.0", "a reply without \"jsonrpc\":\"2.0\"");
    check(reply.contains("id"), "a reply without an id");
    const json& id = reply["id"];
    check(id.is_null() || id.is_string() || id.is_number_integer(),
          "a reply id that is not a string, an integer or null");
    check(reply.contains("result") != reply.contains("error"),
          "a reply needs exactly one of result and error");
    if (reply.contains("error")) {
        const json& e = reply["error"];
        check(e.is_object() && e.contains("code") && e["code"].is_number_integer(),
              "an error without an integer code");
        check(e.contains("message") && e["message"].is_string(), "an error without a message");
    }
}

void check_exchange(std::string_view line, const std::string& frame) {
    check(frame.size() <= 16384 + 4 * line.size(), "a reply much larger than its request");
    // Deeper than berthd accepts: the harness's own parse stays away from nlohmann's recursion.
    const bool not_json =
        wire::nesting_exceeds(line, wire::k_max_json_depth) || !json::accept(line);
    if (frame.empty()) {
        // Nothing to send: a blank line, or notifications only (no id anywhere).
        check(!not_json || blank(line), "a line that is not JSON got no reply");
        if (not_json) return;
        const json request = json::parse(line);
        if (request.is_array()) {
            check(!request.empty(), "an empty batch got no reply");
            check(std::none_of(request.begin(), request.end(), has_id),
                  "a batch with requests got no reply");
        } else {
            check(!has_id(request), "a request with an id got no reply");
        }
        return;
    }

    check(frame.back() == '\n' && frame.find('\n') == frame.size() - 1,
          "a reply frame is not exactly one line");
    check(json::accept(frame), "a reply frame is not JSON (or not UTF-8)");
    const json reply = json::parse(frame);
    if (reply.is_array()) {
        check(!reply.empty(), "an empty batch reply");
        for (const auto& r : reply) check_reply_object(r);
    } else {
        check_reply_object(reply);
    }
    if (not_json) {
        if (blank(line)) return;  // answering a blank line with an error is allowed too
        check(reply.is_object() && reply["id"].is_null(),
              "a line that is not JSON got something else than one error with a null id");
        const json& code = reply["error"]["code"];
        check(code == -32700 || code == -32600, "a line that is not JSON got a wrong code");
        return;
    }
    const json request = json::parse(line);
    if (reply.is_array()) {
        check(request.is_array() && reply.size() <= request.size(),
              "a batch reply to something that is not a batch, or longer than it");
        return;
    }
    check(!request.is_array() || request.empty() || request.size() > k_max_batch ||
              std::none_of(request.begin(), request.end(), has_id),
          "a batch with requests got a single reply");
    if (!request.is_object()) return;  // a lone scalar, an empty or oversized batch
    const json& id = reply["id"];
    if (has_id(request) && valid_envelope(request)) {
        check(id == echoed_id(request), "a reply does not echo its request's id");
    } else if (has_id(request)) {
        check(id == echoed_id(request) || id.is_null(), "a reply carries a made-up id");
    } else {
        check(id.is_null(), "a reply to a request without an id carries one");
    }
}

// Feeds `input` in pieces of 1 to 13 bytes, as a socket's reads might return it, and drains
// the framer after each, like the server; returns the frames.
std::vector<daemon::line_framer::frame> frames_of(std::string_view input, std::size_t limit) {
    daemon::line_framer framer(limit);
    std::vector<daemon::line_framer::frame> out;
    const auto drain = [&] {
        while (auto f = framer.next()) out.push_back(std::move(*f));
        check(framer.buffered() <= limit, "the framer holds more than the line limit");
    };
    for (std::size_t at = 0, step = 1; at < input.size(); at += step, step = step % 13 + 1) {
        framer.feed(input.substr(at, step));
        drain();
    }
    framer.finish();
    drain();
    check(!framer.partial(), "the framer holds bytes after finish()");
    return out;
}

// What the frames of `input` must be: its lines, a last one without a newline included.
void check_framing(std::string_view input, std::size_t limit) {
    const auto frames = frames_of(input, limit);
    std::size_t n = 0;
    std::size_t start = 0;
    while (start < input.size()) {
        const std::size_t nl = input.find('\n', start);
        const std::size_t end = nl == std::string_view::npos ? input.size() : nl;
        const std::string_view line = input.substr(start, end - start);
        check(n < frames.size(), "the framer lost a line");
        const auto& f = frames[n++];
        if (line.size() > limit) {
            check(f.too_long && f.line.empty(), "a line over the limit was not reported as such");
        } else {
            check(!f.too_long && f.line == line, "the framer changed a line");
        }
        start = end + 1;
    }
    check(n == frames.size(), "the framer made up a line");
}

void run(std::string_view input) {
    service_under_test& s = the_service();
    check_framing(input, k_small_line_limit);
    for (const auto& f : frames_of(input, s.config.max_frame_bytes)) {
        if (f.too_long) continue;  // the server answers those itself
        check_exchange(f.line, s.service.handle_line(f.line));
    }
}

}  // namespace
}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    berth::fuzz::run(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
