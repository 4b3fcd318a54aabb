#include "session_json.hpp"

#include "base64.hpp"

namespace berth::wire {
namespace {
using json = nlohmann::json;
using registry::session_state;

std::int64_t to_ms(registry::clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
registry::clock::time_point from_ms(std::int64_t ms) {
    return registry::clock::time_point(std::chrono::milliseconds(ms));
}

std::optional<session_state> state_from(const std::string& s) {
    for (auto st : {session_state::starting, session_state::running, session_state::exited,
                    session_state::failed, session_state::closed, session_state::lost})
        if (registry::to_string(st) == s) return st;
    return std::nullopt;
}

}  // namespace

json to_json(const registry::session_record& r) {
    json j = {{"id", r.id},
              {"runtime", r.runtime},
              {"plugin", r.plugin},
              {"target", r.target},
              {"tty", r.tty},
              {"argv", r.argv},
              {"pid", r.pid},
              {"state", std::string(registry::to_string(r.state))},
              {"created_ms", to_ms(r.created)},
              {"bytes_in", r.bytes_in},
              {"bytes_out", r.bytes_out}};
    j["started_ms"] = r.started ? json(to_ms(*r.started)) : json(nullptr);
    j["ended_ms"] = r.ended ? json(to_ms(*r.ended)) : json(nullptr);
    put_exit_status(j, r);
    return j;
}

void put_exit_status(json& j, const registry::exit_status& s) {
    j["exit_code"] = s.exit_code ? json(*s.exit_code) : json(nullptr);
    j["signal"] = s.term_signal > 0 ? json(s.term_signal) : json(nullptr);
    j["reason"] = s.reason;
}

registry::exit_status exit_status_from_json(const json& j) {
    registry::exit_status s;
    if (!j.is_object()) return s;
    if (const auto code = j.find("exit_code"); code != j.end() && code->is_number_integer())
        s.exit_code = code->get<int>();
    if (const auto sig = j.find("signal"); sig != j.end() && sig->is_number_integer())
        s.term_signal = sig->get<int>();
    if (const auto reason = j.find("reason"); reason != j.end() && reason->is_string())
        s.reason = reason->get<std::string>();
    return s;
}

std::optional<registry::session_record> record_from_json(const json& j) {
    try {
        registry::session_record r;
        r.id = j.at("id").get<std::string>();
        r.runtime = j.at("runtime").get<std::string>();
        r.plugin = j.value("plugin", "");
        r.target = j.value("target", "");
        r.tty = j.value("tty", false);
        r.argv = j.value("argv", std::vector<std::string>{});
        r.pid = j.value("pid", std::int64_t{-1});
        const auto state = state_from(j.at("state").get<std::string>());
        if (!state || r.id.empty()) return std::nullopt;
        r.state = *state;
        r.created = from_ms(j.value("created_ms", std::int64_t{0}));
        if (j.contains("started_ms") && j["started_ms"].is_number())
            r.started = from_ms(j["started_ms"].get<std::int64_t>());
        if (j.contains("ended_ms") && j["ended_ms"].is_number())
            r.ended = from_ms(j["ended_ms"].get<std::int64_t>());
        static_cast<registry::exit_status&>(r) = exit_status_from_json(j);
        r.bytes_in = j.value("bytes_in", std::uint64_t{0});
        r.bytes_out = j.value("bytes_out", std::uint64_t{0});
        return r;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

std::vector<output_run> output_runs(const json& read_result) {
    std::vector<output_run> runs;
    const bool base64 = read_result.value("encoding", "text") == "base64";
    const auto chunks = read_result.find("chunks");
    if (chunks == read_result.end() || !chunks->is_array()) return runs;
    for (const auto& c : *chunks) {
        if (!c.is_object()) continue;
        std::string data = c.value("data", "");
        if (base64) data = base64_decode(data).value_or("");
        runs.push_back({c.value("stream", "stdout"), std::move(data)});
    }
    return runs;
}

}  // namespace berth::wire
