#include "rpc_service.hpp"

#include <re2/re2.h>
#include <signal.h>

#include <algorithm>

#include "base64.hpp"
#include "plugin_json.hpp"
#include "prometheus.hpp"
#include "rpc_errors.hpp"
#include "session_json.hpp"

namespace berth::daemon {
namespace {
using json = nlohmann::json;
namespace err = wire::rpc_error;

[[noreturn]] void fail(int code, std::string message) {
    throw rpc_service::failure{code, std::move(message)};
}

// Typed parameter access: a missing or mistyped parameter names itself.
template <typename T>
T param(const json& params, const char* name, std::optional<T> fallback = std::nullopt) {
    auto it = params.find(name);
    if (it == params.end() || it->is_null()) {
        if (fallback) return *fallback;
        fail(err::invalid_params, std::string("missing parameter '") + name + "'");
    }
    try {
        if constexpr (std::is_same_v<T, std::uint64_t> || std::is_same_v<T, std::int64_t>) {
            if (!it->is_number_integer()) throw json::type_error::create(302, "", nullptr);
            if constexpr (std::is_same_v<T, std::uint64_t>)
                if (it->get<std::int64_t>() < 0) throw json::type_error::create(302, "", nullptr);
        }
        if constexpr (std::is_same_v<T, std::string>)
            if (!it->is_string()) throw json::type_error::create(302, "", nullptr);
        if constexpr (std::is_same_v<T, bool>)
            if (!it->is_boolean()) throw json::type_error::create(302, "", nullptr);
        return it->get<T>();
    } catch (const json::exception&) {
        const char* expected = std::is_same_v<T, std::string> ? "a string"
                               : std::is_same_v<T, bool>      ? "a boolean"
                               : std::is_same_v<T, json>      ? "JSON"
                                                              : "a non-negative integer";
        fail(err::invalid_params,
             std::string("parameter '") + name + "' must be " + expected + ", got " + it->dump());
    }
}

int code_for(const host::error& e) {
    switch (e.code) {
        case host::errc::invalid_argument:
            return err::invalid_params;
        case host::errc::state:
            return err::session_state;
        case host::errc::unsupported:
            return err::unsupported;
        default:
            return err::runtime_failure;
    }
}

void check(const host::result<void>& r) {
    if (!r) fail(code_for(r.err()), r.err().message);
}

std::string encode(std::string_view bytes, const std::string& encoding) {
    if (encoding == "base64") return wire::base64_encode(bytes);
    return std::string(bytes);  // JSON output replaces invalid UTF-8, see server
}

std::string encoding_of(const json& params) {
    const auto e = param<std::string>(params, "encoding", std::string("text"));
    if (e != "text" && e != "base64")
        fail(err::invalid_params,
             "parameter 'encoding' must be \"text\" or \"base64\", got \"" + e + "\"");
    return e;
}

std::chrono::milliseconds capped(std::uint64_t ms, std::chrono::milliseconds cap) {
    return std::min(std::chrono::milliseconds(
                        static_cast<std::int64_t>(std::min<std::uint64_t>(ms, 1ULL << 40))),
                    cap);
}

int signal_number(const json& v) {
    if (v.is_number_integer()) {
        const int n = v.get<int>();
        if (n > 0 && n < NSIG) return n;
    } else if (v.is_string()) {
        std::string name = v.get<std::string>();
        if (name.rfind("SIG", 0) == 0) name = name.substr(3);
        static const std::pair<const char*, int> k_names[] = {
            {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"KILL", SIGKILL},
            {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM},   {"CONT", SIGCONT},
            {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"WINCH", SIGWINCH}, {"ALRM", SIGALRM}};
        for (const auto& [n, s] : k_names)
            if (name == n) return s;
    }
    fail(err::invalid_params,
         "parameter 'signal' must be a signal number or name like \"INT\", got " + v.dump());
}

}  // namespace

rpc_service::rpc_service(host::host& h, const daemon_config& config) : host_(h), config_(config) {}

bool rpc_service::may_block(const json& request) {
    const auto m = request.value("method", "");
    if (m == "session.wait" || m == "session.close" || m == "session.open") return true;
    if (m == "health.get")
        return request.contains("params") && request["params"].value("refresh", false);
    if (m == "session.read") {
        const auto p = request.value("params", json::object());
        return p.is_object() && p.value("wait_ms", 0) > 0;
    }
    return false;
}

std::optional<json> rpc_service::handle(const json& request) {
    json id = nullptr;
    const bool is_request = request.is_object() && request.contains("id");
    if (is_request) id = request["id"];
    const auto reply_error = [&](int code, const std::string& message) -> std::optional<json> {
        return json{
            {"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
    };
    if (!request.is_object() || request.value("jsonrpc", "") != "2.0" ||
        !request.contains("method") || !request["method"].is_string())
        return reply_error(
            err::invalid_request,
            "not a JSON-RPC 2.0 request: expected {\"jsonrpc\":\"2.0\",\"method\":...,\"id\":...}");
    if (is_request && !(id.is_string() || id.is_number() || id.is_null()))
        return reply_error(err::invalid_request, "'id' must be a string, a number or null");
    json params = request.value("params", json::object());
    if (!params.is_object())
        return reply_error(err::invalid_params, "'params' must be an object (by-name parameters)");
    try {
        json result = dispatch(request["method"].get<std::string>(), params);
        if (!is_request) return std::nullopt;
        return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
    } catch (const failure& f) {
        if (!is_request) return std::nullopt;
        return reply_error(f.code, f.message);
    } catch (const std::exception& e) {
        if (!is_request) return std::nullopt;
        return reply_error(err::internal_error, std::string("internal error: ") + e.what());
    }
}

json rpc_service::dispatch(const std::string& method, const json& params) {
    if (method == "plugin.list") return plugin_list();
    if (method == "health.get") return health_get(params);
    if (method == "session.open") return session_open(params);
    if (method == "session.list") return session_list();
    if (method == "session.get") return session_get(params);
    if (method == "session.write") return session_write(params);
    if (method == "session.close_input") return session_close_input(params);
    if (method == "session.read") return session_read(params);
    if (method == "session.wait") return session_wait(params);
    if (method == "session.resize") return session_resize(params);
    if (method == "session.signal") return session_signal(params);
    if (method == "session.close") return session_close(params);
    if (method == "metrics.get") return json{{"text", metrics_text()}};
    fail(err::method_not_found, "unknown method '" + method + "' (see docs/api.md)");
}

json rpc_service::plugin_list() {
    json out = json::array();
    for (const auto& r : host_.reports()) {
        json j = wire::to_json(r);
        if (r.state == host::plugin_report::status::loaded)
            if (auto p = host_.find(r.info.runtime))
                j["options_schema"] = json::parse(p->options_schema(), nullptr, false);
        out.push_back(std::move(j));
    }
    return out;
}

json rpc_service::health_get(const json& params) {
    const auto runtime = param<std::string>(params, "runtime", std::string());
    const bool refresh = param<bool>(params, "refresh", false);
    json out = json::array();
    for (const auto& p : host_.plugins()) {
        if (!runtime.empty() && p->runtime() != runtime) continue;
        if (refresh) (void)p->check_health(config_.health_timeout);
        const auto m = host_.registry().metrics().get(p->name());
        if (!m) continue;
        json attrs = json::object();
        for (const auto& [k, v] : m->attributes) attrs[k] = v;
        json transitions = json::array();
        for (const auto& t : m->transitions)
            transitions.push_back({{"at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 t.at.time_since_epoch())
                                                 .count()},
                                   {"from", std::string(registry::to_string(t.from))},
                                   {"to", std::string(registry::to_string(t.to))},
                                   {"detail", t.detail}});
        out.push_back(
            {{"runtime", p->runtime()},
             {"plugin", p->name()},
             {"state", std::string(registry::to_string(m->state))},
             {"detail", m->detail},
             {"attributes", attrs},
             {"latency_ms", std::chrono::duration<double, std::milli>(m->last_latency).count()},
             {"checks", m->checks_total},
             {"consecutive_failures", m->consecutive_failures},
             {"transitions", transitions}});
    }
    if (!runtime.empty() && out.empty())
        fail(err::unknown_runtime, "unknown runtime '" + runtime + "'");
    return out;
}

json rpc_service::session_open(const json& params) {
    if (!accepting_) fail(err::runtime_failure, "berthd is shutting down: no new sessions");
    const auto runtime = param<std::string>(params, "runtime");
    const json options = param<json>(params, "options", json::object());
    if (!options.is_object()) fail(err::invalid_params, "parameter 'options' must be an object");
    auto plugin = host_.find(runtime);
    if (!plugin) {
        std::string known;
        for (const auto& p : host_.plugins()) known += (known.empty() ? "" : ", ") + p->runtime();
        fail(err::unknown_runtime, "unknown runtime '" + runtime + "' (available: " + known + ")");
    }
    if (const auto m = host_.registry().metrics().get(plugin->name());
        m && (m->state == registry::health_state::unhealthy ||
              m->state == registry::health_state::undetected))
        fail(err::runtime_unhealthy, "runtime " + runtime + " is " +
                                         std::string(registry::to_string(m->state)) + ": " +
                                         m->detail);
    std::size_t total = 0;
    std::size_t same = 0;
    for (const auto& r : host_.registry().sessions().list()) {
        if (registry::is_final(r.state)) continue;
        ++total;
        if (r.runtime == plugin->runtime()) ++same;
    }
    if (total >= config_.max_sessions)
        fail(err::limit_reached, "limit reached: " + std::to_string(total) +
                                     " open sessions (max_sessions " +
                                     std::to_string(config_.max_sessions) + ")");
    const auto per = config_.max_sessions_per_runtime.find(plugin->runtime());
    const std::size_t limit = per == config_.max_sessions_per_runtime.end()
                                  ? config_.default_max_sessions_per_runtime
                                  : per->second;
    if (same >= limit)
        fail(err::limit_reached, "limit reached: " + std::to_string(same) + " open " +
                                     plugin->runtime() + " sessions (max_sessions_per_runtime " +
                                     std::to_string(limit) + ")");

    auto opened = host_.open_session(plugin->runtime(), options.dump());
    if (!opened) fail(code_for(opened.err()), opened.err().message);
    changed();
    const auto r = opened.value()->entry()->snapshot();
    return {{"id", r.id}, {"pid", r.pid}, {"state", std::string(registry::to_string(r.state))}};
}

json rpc_service::session_list() {
    json out = json::array();
    for (const auto& r : host_.registry().sessions().list()) out.push_back(wire::to_json(r));
    return out;
}

std::shared_ptr<host::session> rpc_service::session_of(const json& params) {
    const auto id = param<std::string>(params, "id");
    auto s = host_.find_session(id);
    if (!s) {
        if (host_.registry().sessions().find(id))
            fail(err::session_state, "session " + id + " is no longer running (lost or reaped)");
        fail(err::unknown_session, "unknown session '" + id + "'");
    }
    return s;
}

json rpc_service::session_get(const json& params) {
    const auto id = param<std::string>(params, "id");
    auto e = host_.registry().sessions().find(id);
    if (!e) fail(err::unknown_session, "unknown session '" + id + "'");
    json j = wire::to_json(e->snapshot());
    j["end_offset"] = e->end_offset();
    return j;
}

json rpc_service::session_write(const json& params) {
    auto s = session_of(params);
    const auto encoding = encoding_of(params);
    const auto data = param<std::string>(params, "data");
    std::string bytes = data;
    if (encoding == "base64") {
        auto decoded = wire::base64_decode(data);
        if (!decoded) fail(err::invalid_params, "parameter 'data' is not valid base64");
        bytes = std::move(*decoded);
    }
    check(s->write(bytes));
    return {{"written", bytes.size()}};
}

json rpc_service::session_close_input(const json& params) {
    check(session_of(params)->close_input());
    return json::object();
}

json rpc_service::session_read(const json& params) {
    const auto id = param<std::string>(params, "id");
    auto e = host_.registry().sessions().find(id);
    if (!e) fail(err::unknown_session, "unknown session '" + id + "'");
    const auto cursor = param<std::uint64_t>(params, "cursor", 0);
    const auto max_bytes = param<std::uint64_t>(params, "max_bytes", 65536);
    const auto wait_ms = param<std::uint64_t>(params, "wait_ms", 0);
    const auto encoding = encoding_of(params);
    const std::size_t max =
        static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, config_.output_buffer_bytes));
    const auto r = wait_ms > 0 ? e->wait_read(cursor, max, capped(wait_ms, config_.max_wait))
                               : e->read(cursor, max);
    json chunks = json::array();
    std::string joined;
    for (const auto& c : r.chunks) {
        chunks.push_back({{"stream", std::string(registry::to_string(c.source))},
                          {"data", encode(c.bytes, encoding)}});
        joined += c.bytes;
    }
    const auto rec = e->snapshot();
    json out = {{"data", encode(joined, encoding)},
                {"encoding", encoding},
                {"chunks", chunks},
                {"next_cursor", r.next_cursor},
                {"dropped", r.dropped},
                {"state", std::string(registry::to_string(rec.state))}};
    out["exit_code"] = rec.exit_code ? json(*rec.exit_code) : json(nullptr);
    out["signal"] = rec.term_signal > 0 ? json(rec.term_signal) : json(nullptr);
    return out;
}

json rpc_service::session_wait(const json& params) {
    const auto id = param<std::string>(params, "id");
    auto e = host_.registry().sessions().find(id);
    if (!e) fail(err::unknown_session, "unknown session '" + id + "'");
    const auto pattern_text = param<std::string>(params, "pattern");
    const auto cursor = param<std::uint64_t>(params, "cursor", 0);
    const auto timeout =
        capped(param<std::uint64_t>(params, "timeout_ms", 10000), config_.max_wait);
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_max_mem(std::int64_t{8} << 20);  // a hostile pattern cannot take the daemon's memory
    const re2::RE2 pattern(pattern_text, opts);
    if (!pattern.ok())
        fail(err::invalid_params, "invalid pattern '" + pattern_text + "': " + pattern.error());
    const auto w = e->wait_for_pattern(cursor, pattern, timeout);
    json out = {
        {"outcome", w.result == registry::pattern_wait_result::outcome::matched ? "matched"
                    : w.result == registry::pattern_wait_result::outcome::ended ? "ended"
                                                                                : "timeout"},
        {"dropped", w.dropped}};
    if (w.match) {
        out["match"] = w.match->text;
        out["begin"] = w.match->begin;
        out["end"] = w.match->end;
        out["next_cursor"] = w.match->next_cursor;
    } else {
        out["next_cursor"] = w.scanned_to;
    }
    out["state"] = std::string(registry::to_string(e->snapshot().state));
    return out;
}

json rpc_service::session_resize(const json& params) {
    auto s = session_of(params);
    const auto rows = param<std::uint64_t>(params, "rows");
    const auto cols = param<std::uint64_t>(params, "cols");
    if (rows == 0 || cols == 0 || rows > 65535 || cols > 65535)
        fail(err::invalid_params, "parameters 'rows' and 'cols' must be between 1 and 65535");
    check(s->resize(static_cast<std::uint16_t>(rows), static_cast<std::uint16_t>(cols)));
    return json::object();
}

json rpc_service::session_signal(const json& params) {
    auto s = session_of(params);
    if (!params.contains("signal")) fail(err::invalid_params, "missing parameter 'signal'");
    check(s->signal(signal_number(params["signal"])));
    return json::object();
}

json rpc_service::session_close(const json& params) {
    auto s = session_of(params);
    const auto grace = param<std::uint64_t>(
        params, "grace_ms", static_cast<std::uint64_t>(config_.close_grace.count()));
    const auto r = s->close(std::chrono::milliseconds(
                                static_cast<std::int64_t>(std::min<std::uint64_t>(grace, 600000))),
                            "closed by client");
    changed();
    if (!r) fail(code_for(r.err()), r.err().message);
    return wire::to_json(s->entry()->snapshot());
}

std::string rpc_service::metrics_text() const {
    return prometheus_text(host_.registry().metrics().snapshot(), host_.plugins());
}

}  // namespace berth::daemon
