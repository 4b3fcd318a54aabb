#include "rpc_service.hpp"

#include <re2/re2.h>
#include <signal.h>

#include <algorithm>

#include "base64.hpp"
#include "json_limits.hpp"
#include "plugin_json.hpp"
#include "prometheus.hpp"
#include "rpc_errors.hpp"
#include "session_json.hpp"
#include "stream_frame.hpp"

namespace berth::daemon {
namespace {
using json = nlohmann::json;
namespace err = wire::rpc_error;

// berthd's own conditions with a JSON-RPC code of their own (an unknown session, a limit).
[[noreturn]] void fail(int code, berth_status status, std::string message) {
    throw rpc_service::failure{code, status, std::move(message)};
}

// Everything else: the code is the status's own (wire::k_status_table).
[[noreturn]] void fail(berth_status status, std::string message) {
    fail(wire::rpc_code_for(status), status, std::move(message));
}

// Typed parameter access: a missing or mistyped parameter names itself.
template <typename T>
T param(const json& params, const char* name, std::optional<T> fallback = std::nullopt) {
    auto it = params.find(name);
    if (it == params.end() || it->is_null()) {
        if (fallback) return *fallback;
        fail(BERTH_ERR_INVALID_ARGUMENT, std::string("missing parameter '") + name + "'");
    }
    try {
        if constexpr (std::is_same_v<T, std::uint64_t> || std::is_same_v<T, std::int64_t>) {
            if (!it->is_number_integer()) throw json::type_error::create(302, "", nullptr);
            if constexpr (std::is_same_v<T, std::uint64_t>)
                if (!it->is_number_unsigned() && it->get<std::int64_t>() < 0)
                    throw json::type_error::create(302, "", nullptr);
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
        fail(BERTH_ERR_INVALID_ARGUMENT, std::string("parameter '") + name + "' must be " +
                                             expected + ", got " + wire::preview_value(*it));
    }
}

// A plugin's or the option validator's message may quote a client's value: bounded too.
constexpr std::size_t k_max_message_bytes = 512;

// A host error goes out with its own status, the plugin's word for what went wrong.
[[noreturn]] void fail(const host::error& e) {
    fail(e.code, wire::preview(e.message, k_max_message_bytes));
}

void check(const host::result<void>& r) {
    if (!r) fail(r.err());
}

std::string encode(std::string_view bytes, const std::string& encoding) {
    if (encoding == "base64") return wire::base64_encode(bytes);
    return std::string(bytes);  // JSON output replaces invalid UTF-8, see server
}

std::string encoding_of(const json& params) {
    const auto e = param<std::string>(params, "encoding", std::string("text"));
    if (e != "text" && e != "base64")
        fail(BERTH_ERR_INVALID_ARGUMENT,
             "parameter 'encoding' must be \"text\" or \"base64\", got \"" + wire::preview(e) +
                 "\"");
    return e;
}

std::chrono::milliseconds capped(std::uint64_t ms, std::chrono::milliseconds cap) {
    return std::min(std::chrono::milliseconds(
                        static_cast<std::int64_t>(std::min<std::uint64_t>(ms, 1ULL << 40))),
                    cap);
}

// A cursor past the end of the output is a client's mistake (a cursor from another session,
// or made up); answering with it would make the reader skip whatever comes next.
std::uint64_t cursor_of(const json& params, const registry::session_entry& e) {
    const auto cursor = param<std::uint64_t>(params, "cursor", 0);
    const auto end = e.end_offset();
    if (cursor > end)
        fail(BERTH_ERR_INVALID_ARGUMENT, "parameter 'cursor' is " + std::to_string(cursor) +
                                             ", past the end of the output (end_offset " +
                                             std::to_string(end) + ")");
    return cursor;
}

int signal_number(const json& v) {
    if (v.is_number_integer()) {
        const auto n = v.get<std::int64_t>();  // range-checked before narrowing
        if (n > 0 && n < NSIG) return static_cast<int>(n);
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
    fail(BERTH_ERR_INVALID_ARGUMENT,
         "parameter 'signal' must be a signal number or name like \"INT\", got " +
             wire::preview_value(v));
}

}  // namespace

rpc_service::rpc_service(host::host& h, const daemon_config& config,
                         const limit_counters* limits_hit)
    : host_(h), config_(config), limits_hit_(limits_hit) {}

std::string rpc_service::handle_line(std::string_view line) { return execute(parse_line(line)); }

std::string rpc_service::execute(const parsed_line& line, std::stop_token stop) {
    if (!line.error_frame.empty()) return line.error_frame;
    call_context ctx{std::move(stop), config_.output_buffer_bytes};
    json replies = json::array();
    for (const auto& item : line.items) {
        if (const auto* call = std::get_if<rpc_call>(&item)) {
            if (auto reply = handle(*call, ctx)) replies.push_back(std::move(*reply));
        } else {
            replies.push_back(std::get<json>(item));
        }
    }
    if (replies.empty()) return {};
    return wire::to_frame(line.batch ? replies : replies[0]);
}

std::optional<json> rpc_service::handle(const rpc_call& call, call_context& ctx) {
    const auto reply_error = [&](int code, berth_status status,
                                 const std::string& message) -> std::optional<json> {
        if (call.notification) return std::nullopt;
        return error_reply(call.id, code, status, message);
    };
    // The one catch-all: a handler's bug costs its own reply, never the connection or berthd.
    try {
        json result = dispatch(call.method, call.params, ctx);
        if (call.notification) return std::nullopt;
        return json{{"jsonrpc", "2.0"}, {"id", call.id}, {"result", std::move(result)}};
    } catch (const failure& f) {
        return reply_error(f.code, f.status, f.message);
    } catch (const std::exception& e) {
        return reply_error(err::internal_error, BERTH_ERR_INTERNAL,
                           std::string("internal error: ") + e.what());
    } catch (...) {
        return reply_error(err::internal_error, BERTH_ERR_INTERNAL,
                           "internal error: unknown exception");
    }
}

json rpc_service::dispatch(const std::string& method, const json& params, call_context& ctx) {
    if (method == "plugin.list") return plugin_list();
    if (method == "health.get") return health_get(params);
    if (method == "session.open") return session_open(params);
    if (method == "session.list") return session_list();
    if (method == "session.get") return session_get(params);
    if (method == "session.write") return session_write(params);
    if (method == "session.close_input") return session_close_input(params);
    if (method == "session.read") return session_read(params, ctx);
    if (method == "session.wait") return session_wait(params, ctx.stop);
    if (method == "session.resize") return session_resize(params);
    if (method == "session.signal") return session_signal(params);
    if (method == "session.close") return session_close(params);
    if (method == "metrics.get") return json{{"text", metrics_text()}};
    // Only a connection can turn into a stream (connection::dispatch takes it before this).
    if (method == "session.stream")
        fail(err::invalid_request, BERTH_ERR_INVALID_ARGUMENT,
             "session.stream is served only on berthd's socket, as a request on its own");
    fail(err::method_not_found, BERTH_ERR_INVALID_ARGUMENT,
         "unknown method '" + wire::preview(method) + "' (see docs/api.md)");
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
        fail(err::unknown_runtime, BERTH_ERR_NOT_FOUND,
             "unknown runtime '" + wire::preview(runtime) + "'");
    return out;
}

void rpc_service::stop_accepting() {
    std::unique_lock lock(opening_mutex_);
    accepting_ = false;
    // An open that passed the check finishes (each plugin bounds its own runtime calls), so
    // the shutdown that follows sees, closes and saves its session.
    opening_done_.wait(lock, [this] { return opening_ == 0; });
}

json rpc_service::session_open(const json& params) {
    {
        const std::lock_guard lock(opening_mutex_);
        if (!accepting_) fail(BERTH_ERR_UNAVAILABLE, "berthd is shutting down: no new sessions");
        ++opening_;
    }
    struct opening_guard {
        rpc_service& self;
        ~opening_guard() {
            const std::lock_guard lock(self.opening_mutex_);
            --self.opening_;
            self.opening_done_.notify_all();
        }
    } guard{*this};
    const auto runtime = param<std::string>(params, "runtime");
    const json options = param<json>(params, "options", json::object());
    if (!options.is_object())
        fail(BERTH_ERR_INVALID_ARGUMENT, "parameter 'options' must be an object");
    auto plugin = host_.find(runtime);
    if (!plugin) {
        std::string known;
        for (const auto& p : host_.plugins()) known += (known.empty() ? "" : ", ") + p->runtime();
        fail(err::unknown_runtime, BERTH_ERR_NOT_FOUND,
             "unknown runtime '" + wire::preview(runtime) + "' (available: " + known + ")");
    }
    if (const auto m = host_.registry().metrics().get(plugin->name());
        m && (m->state == registry::health_state::unhealthy ||
              m->state == registry::health_state::undetected))
        fail(err::runtime_unhealthy, BERTH_ERR_UNAVAILABLE,
             "runtime " + runtime + " is " + std::string(registry::to_string(m->state)) + ": " +
                 m->detail);
    std::size_t total = 0;
    std::size_t same = 0;
    for (const auto& r : host_.session_records()) {
        if (registry::is_final(r.state)) continue;
        ++total;
        if (r.runtime == plugin->runtime()) ++same;
    }
    if (total >= config_.max_sessions)
        fail(err::limit_reached, BERTH_ERR_UNAVAILABLE,
             "limit reached: " + std::to_string(total) + " open sessions (max_sessions " +
                 std::to_string(config_.max_sessions) + ")");
    const auto per = config_.max_sessions_per_runtime.find(plugin->runtime());
    const std::size_t limit = per == config_.max_sessions_per_runtime.end()
                                  ? config_.default_max_sessions_per_runtime
                                  : per->second;
    if (same >= limit)
        fail(err::limit_reached, BERTH_ERR_UNAVAILABLE,
             "limit reached: " + std::to_string(same) + " open " + plugin->runtime() +
                 " sessions (max_sessions_per_runtime " + std::to_string(limit) + ")");

    auto opened = host_.open_session(plugin->runtime(), options.dump());
    if (!opened) fail(opened.err());
    changed();
    const auto r = opened.value()->entry()->snapshot();
    return {{"id", r.id}, {"pid", r.pid}, {"state", std::string(registry::to_string(r.state))}};
}

std::variant<stream_request, std::string> rpc_service::prepare_stream(const rpc_call& call) {
    try {
        stream_request r;
        r.id = call.id;
        r.session = session_of(call.params);
        r.entry = r.session->entry();
        r.cursor = cursor_of(call.params, *r.entry);
        r.end_offset = r.entry->end_offset();
        r.follow = param<bool>(call.params, "follow", true);
        r.input = param<bool>(call.params, "input", false);
        return r;
    } catch (const failure& f) {
        return wire::to_frame(error_reply(call.id, f.code, f.status, f.message));
    }
}

std::string rpc_service::stream_reply(const stream_request& r) {
    return wire::to_frame(json{{"jsonrpc", "2.0"},
                               {"id", r.id},
                               {"result",
                                {{"cursor", r.cursor},
                                 {"end_offset", r.end_offset},
                                 {"frame_header_bytes", wire::k_frame_header_bytes}}}});
}

json rpc_service::session_list() {
    json out = json::array();
    for (const auto& r : host_.session_records()) {
        json j = wire::to_json(r);
        if (const auto s = host_.find_session(r.id)) j["end_offset"] = s->entry()->end_offset();
        out.push_back(std::move(j));
    }
    return out;
}

std::shared_ptr<host::session> rpc_service::session_of(const json& params) {
    const auto id = param<std::string>(params, "id");
    auto s = host_.find_session(id);
    if (!s)
        fail(err::unknown_session, BERTH_ERR_NOT_FOUND,
             "unknown session '" + wire::preview(id) + "'");
    return s;
}

std::shared_ptr<registry::session_entry> rpc_service::entry_of(const json& params) {
    return session_of(params)->entry();
}

json rpc_service::session_get(const json& params) {
    const auto e = entry_of(params);
    json j = wire::to_json(e->snapshot());
    j["end_offset"] = e->end_offset();
    if (const auto log = e->log(); log.kept) {
        j["log"] = {{"begin", log.begin}, {"end", log.end}, {"bytes", log.held}};
        if (!log.stopped.empty()) j["log"]["stopped"] = wire::preview(log.stopped, 1024);
    }
    return j;
}

json rpc_service::session_write(const json& params) {
    auto s = session_of(params);
    const auto encoding = encoding_of(params);
    const auto data = param<std::string>(params, "data");
    std::string bytes = data;
    if (encoding == "base64") {
        auto decoded = wire::base64_decode(data);
        if (!decoded) fail(BERTH_ERR_INVALID_ARGUMENT, "parameter 'data' is not valid base64");
        bytes = std::move(*decoded);
    }
    check(s->write(bytes));
    return {{"written", bytes.size()}};
}

json rpc_service::session_close_input(const json& params) {
    check(session_of(params)->close_input());
    return json::object();
}

json rpc_service::session_read(const json& params, call_context& ctx) {
    const auto e = entry_of(params);
    const auto cursor = cursor_of(params, *e);
    const auto max_bytes = param<std::uint64_t>(params, "max_bytes", 65536);
    const auto wait_ms = param<std::uint64_t>(params, "wait_ms", 0);
    const auto encoding = encoding_of(params);
    const std::size_t max =
        static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, ctx.read_budget));
    const auto r = wait_ms > 0
                       ? e->wait_read(cursor, max, capped(wait_ms, config_.max_wait), ctx.stop)
                       : e->read(cursor, max);
    for (const auto& c : r.chunks) ctx.read_budget -= std::min(ctx.read_budget, c.bytes.size());
    // Each byte once: the chunks are the output, in order; a client that wants one stream of
    // text joins them.
    json chunks = json::array();
    for (const auto& c : r.chunks)
        chunks.push_back({{"stream", std::string(registry::to_string(c.source))},
                          {"data", encode(c.bytes, encoding)}});
    const auto rec = e->snapshot();
    json out = {{"encoding", encoding},
                {"chunks", std::move(chunks)},
                {"next_cursor", r.next_cursor},
                {"dropped", r.dropped},
                {"state", std::string(registry::to_string(rec.state))},
                {"end_offset", e->end_offset()}};
    wire::put_exit_status(out, rec);
    return out;
}

json rpc_service::session_wait(const json& params, const std::stop_token& stop) {
    const auto e = entry_of(params);
    const auto pattern_text = param<std::string>(params, "pattern");
    const auto cursor = cursor_of(params, *e);
    const auto timeout =
        capped(param<std::uint64_t>(params, "timeout_ms", 10000), config_.max_wait);
    // RE2 bounds the compiled program's memory, not the parse: a 1 MB pattern cost ~75 MB
    // before RE2 said no. Patterns people wait for are a line at most.
    if (pattern_text.size() > k_max_pattern_bytes)
        fail(BERTH_ERR_INVALID_ARGUMENT,
             "parameter 'pattern' is " + std::to_string(pattern_text.size()) +
                 " bytes long: at most " + std::to_string(k_max_pattern_bytes) + " (pattern " +
                 wire::preview(pattern_text) + ")");
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_max_mem(std::int64_t{8} << 20);  // a hostile pattern cannot take the daemon's memory
    const re2::RE2 pattern(pattern_text, opts);
    if (!pattern.ok())
        fail(BERTH_ERR_INVALID_ARGUMENT, "invalid pattern '" + wire::preview(pattern_text) +
                                             "': " + wire::preview(pattern.error(), 200));
    const auto w = e->wait_for_pattern(cursor, pattern, timeout, stop);
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
        fail(BERTH_ERR_INVALID_ARGUMENT,
             "parameters 'rows' and 'cols' must be between 1 and 65535");
    check(s->resize(static_cast<std::uint16_t>(rows), static_cast<std::uint16_t>(cols)));
    return json::object();
}

json rpc_service::session_signal(const json& params) {
    auto s = session_of(params);
    if (!params.contains("signal")) fail(BERTH_ERR_INVALID_ARGUMENT, "missing parameter 'signal'");
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
    if (!r) fail(r.err());
    json j = wire::to_json(s->entry()->snapshot());
    j["end_offset"] = s->entry()->end_offset();
    return j;
}

std::string rpc_service::metrics_text() const {
    auto text = prometheus_text(host_.registry().metrics().snapshot(), host_.plugins());
    if (limits_hit_ != nullptr) text += limits_hit_->prometheus_text();
    if (calls_ != nullptr)
        text +=
            "# HELP berthd_waiting_calls Calls running on threads of their own (long polls, "
            "opens, closes, plugin calls)\n# TYPE berthd_waiting_calls "
            "gauge\nberthd_waiting_calls " +
            std::to_string(calls_->blocking_running()) +
            "\n# HELP berthd_waiting_calls_max max_blocking_calls\n# TYPE berthd_waiting_calls_max "
            "gauge\nberthd_waiting_calls_max " +
            std::to_string(calls_->max_blocking()) + "\n";
    return text;
}

}  // namespace berth::daemon
