#include "lxd_api.hpp"

#include <berth/sdk/plugin.hpp>

#include <algorithm>
#include <cctype>

namespace berth::plugins::lxd {

using json = nlohmann::json;

const json& field(const json& j, const char* key) {
    static const json none;
    if (!j.is_object()) return none;
    const auto it = j.find(key);
    return it == j.end() ? none : *it;
}

namespace {

using boost::beast::http::verb;

[[noreturn]] void fail(berth_status status, const std::string& message) {
    throw sdk::error(status, message);
}

// LXD answers an async request with 202 and `operation`: "/1.0/operations/ID[?project=...]".
std::string operation_id(const reply& r) {
    const json& field_op = field(r.body, "operation");
    const std::string op = field_op.is_string() ? field_op.get<std::string>() : "";
    const auto slash = op.rfind('/');
    if (slash == std::string::npos) return {};
    return op.substr(slash + 1, op.find('?', slash) - slash - 1);
}

bool mentions(std::string text, std::string_view word) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text.find(word) != std::string::npos;
}

}  // namespace

std::string url_encode(const std::string& text) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += k_hex[c >> 4U];
            out += k_hex[c & 15U];
        }
    }
    return out;
}

std::string project_query(const std::string& project) { return "?project=" + url_encode(project); }

reply lxd_api::call(verb method, const std::string& target, const json& body) const {
    return request(endpoint_, tls_.get(), method, target, body, timeout_);
}

json lxd_api::server() const {
    const auto r = call(verb::get, "/1.0");
    if (r.status != 200)
        fail(BERTH_ERR_UNAVAILABLE,
             "the LXD server at " + endpoint_.describe() + " refused GET /1.0: " + r.error());
    const json& m = field(r.body, "metadata");
    return m.is_object() ? m : json::object();
}

json lxd_api::members() const {
    const auto r = call(verb::get, "/1.0/cluster/members?recursion=1");
    if (r.status != 200) return json::array();
    const json& m = field(r.body, "metadata");
    return m.is_array() ? m : json::array();
}

std::string lxd_api::member_problem(const std::string& name) const {
    std::string known;
    try {
        for (const auto& m : members()) {
            const json& member = field(m, "server_name");
            if (!member.is_string()) continue;
            known += (known.empty() ? "" : ", ") + member.get<std::string>();
            if (member.get<std::string>() != name) continue;
            const json& status = field(m, "status");
            const json& message = field(m, "message");
            const std::string s = status.is_string() ? status.get<std::string>() : "unknown";
            if (s == "Online" || s == "ONLINE") return {};
            return "member '" + name + "' is " + s +
                   (message.is_string() ? ": " + message.get<std::string>() : std::string());
        }
    } catch (const sdk::error&) {
        return {};  // the caller's own error says enough
    }
    if (known.empty()) return {};
    return "the cluster has no member '" + name + "' (members: " + known + ")";
}

operation_end lxd_api::wait(const std::string& operation, std::chrono::milliseconds timeout) const {
    const auto seconds = std::max<long long>(1, (timeout.count() + 999) / 1000);
    const auto r = request(endpoint_, tls_.get(), verb::get,
                           "/1.0/operations/" + url_encode(operation) + "/wait" +
                               project_query(project_) + "&timeout=" + std::to_string(seconds),
                           nullptr, timeout + std::chrono::seconds(5));
    operation_end end;
    const json& m = field(r.body, "metadata");
    if (r.status != 200 || !m.is_object()) {
        end.status = "Unknown";
        end.error = r.error();
        return end;
    }
    const json& status = field(m, "status");
    const json& error = field(m, "err");
    end.status = status.is_string() ? status.get<std::string>() : "Unknown";
    end.error = error.is_string() ? error.get<std::string>() : "";
    if (const json& ret = field(field(m, "metadata"), "return"); ret.is_number_integer())
        end.exec_return = ret.get<int>();
    return end;
}

void lxd_api::finish(const reply& r, const std::string& what,
                     std::chrono::milliseconds timeout) const {
    if (r.status != 202 && r.status != 200) fail(BERTH_ERR_RUNTIME, what + ": " + r.error());
    const std::string id = operation_id(r);
    if (id.empty()) return;  // synchronous
    const auto end = wait(id, timeout);
    if (end.status == "Running")
        fail(BERTH_ERR_TIMEOUT,
             what + ": not done within " + std::to_string(timeout.count()) + " ms");
    if (end.status != "Success")
        fail(BERTH_ERR_RUNTIME, what + ": " + (end.error.empty() ? end.status : end.error));
}

void lxd_api::launch(const std::string& name, const lxd_options& o, const std::string& owner,
                     const std::string& token) const {
    json config = json::object();
    for (const auto& [k, v] : o.config) config[k] = v;
    if (!owner.empty()) config[std::string(k_owner_key)] = owner;
    config[std::string(k_session_key)] = token;
    const json body = {{"name", name},      {"type", "container"},
                       {"ephemeral", true}, {"profiles", o.profiles},
                       {"config", config},  {"source", {{"type", "image"}, {"alias", o.image}}}};
    std::string target = "/1.0/instances" + project_query(project_);
    if (!o.target.empty()) target += "&target=" + url_encode(o.target);
    const reply created = call(verb::post, target, body);
    const std::string where = o.target.empty() ? "" : " on member '" + o.target + "'";
    try {
        if (created.status >= 400) {
            const std::string e = created.error();
            if (!o.target.empty())
                if (const std::string why = member_problem(o.target); !why.empty())
                    fail(BERTH_ERR_INVALID_ARGUMENT,
                         "option 'target'" +
                             (o.target_source == "target" ? std::string()
                                                          : " ($" + o.target_source + ")") +
                             ": cannot place an instance on member '" + o.target + "' of " +
                             endpoint_.describe() + ": " + why + " (LXD: " + e + ")");
            fail(BERTH_ERR_RUNTIME, "cannot create an instance from option 'image' (" + o.image +
                                        ")" + where + ": " + e);
        }
        finish(created, "creating instance " + name + " from image '" + o.image + "'" + where,
               o.launch_timeout);
    } catch (const sdk::error& e) {
        (void)remove(name);  // a half-made record (Incus leaves one when not ready)
        const std::string text = e.what();
        if (mentions(text, "image") && (mentions(text, "not found") || mentions(text, "fetch")))
            fail(BERTH_ERR_NOT_FOUND, "option 'image': no image '" + o.image + "' on " +
                                          endpoint_.describe() + " (" + text + ")");
        throw;
    }
    try {
        // LXD 5.0 ignores "start": true on create.
        const json start = {{"action", "start"}, {"timeout", 30}};
        finish(
            call(verb::put,
                 "/1.0/instances/" + url_encode(name) + "/state" + project_query(project_), start),
            "starting instance " + name + where, o.launch_timeout);
    } catch (const sdk::error&) {
        (void)remove(name);
        throw;
    }
}

std::string lxd_api::remove(const std::string& name) const {
    const std::string path = "/1.0/instances/" + url_encode(name);
    try {
        const json stop = {{"action", "stop"}, {"force", true}, {"timeout", -1}};
        const reply stopped = call(verb::put, path + "/state" + project_query(project_), stop);
        if (stopped.status == 404) return {};
        // An ephemeral instance goes by itself once stopped; an error here (already stopped)
        // is for the DELETE below to settle.
        if (stopped.status < 400) {
            try {
                finish(stopped, "stopping " + name, timeout_);
            } catch (const sdk::error&) {
            }
        }
        const reply deleted = call(verb::delete_, path + project_query(project_));
        if (deleted.status == 404) return {};
        finish(deleted, "deleting " + name, timeout_);
        return {};
    } catch (const sdk::error& e) {
        try {
            if (call(verb::get, path + project_query(project_)).status == 404) return {};
        } catch (const sdk::error&) {
            // Unreachable now too: the first error says what went wrong.
        }
        return e.what();
    }
}

exec_operation lxd_api::exec(const std::string& instance, const lxd_options& o) const {
    json env = json::object();
    for (const auto& [k, v] : o.env) env[k] = v;
    json body = {{"command", o.command.empty() ? std::vector<std::string>{"/bin/sh"} : o.command},
                 {"environment", env},
                 {"interactive", o.tty},
                 {"wait-for-websocket", true},
                 {"record-output", false}};
    if (o.tty) {
        body["width"] = o.cols;
        body["height"] = o.rows;
    }
    if (o.user) body["user"] = *o.user;
    if (o.group) body["group"] = *o.group;
    if (!o.cwd.empty()) body["cwd"] = o.cwd;
    const reply r =
        call(verb::post,
             "/1.0/instances/" + url_encode(instance) + "/exec" + project_query(project_), body);
    if (r.status == 404)
        fail(BERTH_ERR_NOT_FOUND, "option 'instance': no instance '" + instance + "' in project '" +
                                      project_ + "' on " + endpoint_.describe() + " (" + r.error() +
                                      ")");
    if (r.status != 202)
        fail(BERTH_ERR_RUNTIME,
             "cannot run the command in instance '" + instance + "': " + r.error());
    exec_operation op;
    op.id = operation_id(r);
    const json& fds = field(field(field(r.body, "metadata"), "metadata"), "fds");
    if (fds.is_object())
        for (const auto& [k, v] : fds.items())
            if (v.is_string()) op.secrets[k] = v.get<std::string>();
    if (op.id.empty() || !op.secrets.contains("control") || !op.secrets.contains("0"))
        fail(BERTH_ERR_RUNTIME,
             "the LXD server answered the exec request without its "
             "WebSocket secrets: " +
                 r.body.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 300));
    return op;
}

std::vector<std::string> lxd_api::owned_by(const std::string& owner) const {
    std::vector<std::string> names;
    if (owner.empty()) return names;
    const reply r = call(verb::get, "/1.0/instances" + project_query(project_) + "&recursion=1");
    if (r.status != 200)
        fail(BERTH_ERR_RUNTIME,
             "cannot list the instances on " + endpoint_.describe() + ": " + r.error());
    const json& all = field(r.body, "metadata");
    if (!all.is_array()) return names;
    for (const auto& i : all) {
        const json& mark = field(field(i, "config"), k_owner_key.data());
        const json& name = field(i, "name");
        if (mark.is_string() && mark.get<std::string>() == owner && name.is_string())
            names.push_back(name.get<std::string>());
    }
    return names;
}

std::string lxd_api::websocket_target(const exec_operation& op, const std::string& fd) const {
    return "/1.0/operations/" + url_encode(op.id) + "/websocket" + project_query(project_) +
           "&secret=" + url_encode(op.secrets.at(fd));
}

}  // namespace berth::plugins::lxd
