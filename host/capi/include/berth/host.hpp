// berth/host.hpp: a header-only C++17 wrapper over berth/host.h. RAII owns every C handle
// (move-only classes); a failure throws berth::embed::error, which carries the C status and
// the library's message. Threading and logging are as berth/host.h says.
#pragma once

#include <berth/host.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace berth::embed {

class error : public std::runtime_error {
public:
    error(berth_host_status code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    [[nodiscard]] berth_host_status code() const noexcept { return code_; }

private:
    berth_host_status code_;
};

namespace detail {

// Takes ownership of a string the library handed out.
inline std::string take(char* s) {
    std::string out = s != nullptr ? s : "";
    berth_host_free(s);
    return out;
}

// Throws for anything but BERTH_HOST_OK, with the library's message. errmsg by reference:
// in check(call(..., &e), e) the order of evaluating the two arguments is unspecified, and a
// copy of e taken before the call ran would lose (and leak) the message.
inline void check(berth_host_status status, char*& errmsg) {
    std::string message = take(errmsg);
    if (status != BERTH_HOST_OK) throw error(status, message);
}

template <typename T, void (*Destroy)(T*)>
struct deleter {
    void operator()(T* p) const noexcept { Destroy(p); }
};

}  // namespace detail

// One log line, as the callback gets it.
using log_function = void (*)(void* user, berth_host_log_level level, const char* logger,
                              const char* message);

class options {
public:
    options() {
        berth_host_options_t* o = nullptr;
        char* e = nullptr;
        detail::check(berth_host_options_create(&o, &e), e);
        p_.reset(o);
    }
    options& add_plugin_dir(const std::string& dir) {
        char* e = nullptr;
        detail::check(berth_host_options_add_plugin_dir(p_.get(), dir.c_str(), &e), e);
        return *this;
    }
    options& install_prefix(const std::string& prefix) {
        char* e = nullptr;
        detail::check(berth_host_options_set_install_prefix(p_.get(), prefix.c_str(), &e), e);
        return *this;
    }
    // probe_path: nullopt for the install's probe.
    options& probe(bool enabled, const std::optional<std::string>& probe_path = std::nullopt) {
        char* e = nullptr;
        detail::check(berth_host_options_set_probe(p_.get(), enabled ? 1 : 0,
                                                   probe_path ? probe_path->c_str() : nullptr, &e),
                      e);
        return *this;
    }
    options& output_buffer_capacity(std::size_t bytes) {
        char* e = nullptr;
        detail::check(berth_host_options_set_output_buffer_capacity(p_.get(), bytes, &e), e);
        return *this;
    }
    // `user` must outlive every host made from these options.
    options& log_callback(log_function fn, void* user,
                          berth_host_log_level min_level = BERTH_HOST_LOG_INFO) {
        char* e = nullptr;
        detail::check(berth_host_options_set_log_callback(p_.get(), fn, user, min_level, &e), e);
        return *this;
    }
    [[nodiscard]] const berth_host_options_t* get() const noexcept { return p_.get(); }

private:
    std::unique_ptr<berth_host_options_t,
                    detail::deleter<berth_host_options_t, berth_host_options_destroy>>
        p_;
};

struct plugin_report {
    std::string runtime, name, version, path, capabilities, error;
    berth_host_plugin_state state = BERTH_HOST_PLUGIN_REJECTED;
    std::uint16_t abi_major = 0, abi_minor = 0;
};

struct health {
    berth_host_health state = BERTH_HOST_HEALTH_UNKNOWN;
    std::string detail;
};

struct chunk {
    std::string bytes;
    std::uint64_t next_cursor = 0;
    std::uint64_t dropped = 0;
};

struct wait_result {
    berth_host_wait_outcome outcome = BERTH_HOST_WAIT_TIMEOUT;
    std::string match;
    std::uint64_t next_cursor = 0;
};

struct status {
    berth_host_session_state state = BERTH_HOST_SESSION_STARTING;
    std::optional<int> exit_code;  // it exited by itself with this code
    int term_signal = 0;           // > 0: this signal ended it
    std::string reason;
};

class session {
public:
    explicit session(berth_host_session_t* s) noexcept : p_(s) {}

    [[nodiscard]] std::string id() const { return berth_host_session_id(p_.get()); }

    void write(const std::string& bytes) {
        char* e = nullptr;
        detail::check(berth_host_session_write(p_.get(), bytes.data(), bytes.size(), &e), e);
    }
    void close_input() {
        char* e = nullptr;
        detail::check(berth_host_session_close_input(p_.get(), &e), e);
    }
    void resize(std::uint16_t rows, std::uint16_t cols) {
        char* e = nullptr;
        detail::check(berth_host_session_resize(p_.get(), rows, cols, &e), e);
    }
    void signal(int signo) {
        char* e = nullptr;
        detail::check(berth_host_session_signal(p_.get(), signo, &e), e);
    }
    void close(std::uint32_t grace_ms = 2000) {
        char* e = nullptr;
        detail::check(berth_host_session_close(p_.get(), grace_ms, &e), e);
    }
    // At most max_bytes from `cursor`, waiting up to timeout_ms for some (0: no wait).
    [[nodiscard]] chunk read(std::uint64_t cursor, std::size_t max_bytes = 64 * 1024,
                             std::uint32_t timeout_ms = 0) {
        chunk c;
        c.bytes.resize(max_bytes);
        std::size_t n = 0;
        char* e = nullptr;
        detail::check(berth_host_session_read(p_.get(), cursor, c.bytes.data(), max_bytes,
                                              timeout_ms, &n, &c.next_cursor, &c.dropped, &e),
                      e);
        c.bytes.resize(n);
        return c;
    }
    [[nodiscard]] wait_result wait_for(const std::string& pattern, std::uint64_t cursor,
                                       std::uint32_t timeout_ms) {
        wait_result w;
        char* match = nullptr;
        char* e = nullptr;
        detail::check(berth_host_session_wait_for(p_.get(), pattern.c_str(), cursor, timeout_ms,
                                                  &w.outcome, &match, &w.next_cursor, &e),
                      e);
        w.match = detail::take(match);
        return w;
    }
    // True once the session has ended; false when timeout_ms passed first.
    [[nodiscard]] bool wait_exit(std::uint32_t timeout_ms) {
        char* e = nullptr;
        const auto s = berth_host_session_wait_exit(p_.get(), timeout_ms, &e);
        if (s == BERTH_HOST_ERR_TIMEOUT) {
            berth_host_free(e);
            return false;
        }
        detail::check(s, e);
        return true;
    }
    [[nodiscard]] status get_status() {
        status s;
        int code = -1;
        char* reason = nullptr;
        char* e = nullptr;
        detail::check(
            berth_host_session_status(p_.get(), &s.state, &code, &s.term_signal, &reason, &e), e);
        if (code >= 0) s.exit_code = code;
        s.reason = detail::take(reason);
        return s;
    }
    [[nodiscard]] berth_host_session_t* get() const noexcept { return p_.get(); }

private:
    std::unique_ptr<berth_host_session_t,
                    detail::deleter<berth_host_session_t, berth_host_session_destroy>>
        p_;
};

class host {
public:
    explicit host(const options& o = options()) {
        berth_host_t* h = nullptr;
        char* e = nullptr;
        detail::check(berth_host_create(o.get(), &h, &e), e);
        p_.reset(h);
    }

    [[nodiscard]] std::vector<plugin_report> plugins() const {
        berth_host_plugin_list_t* list = nullptr;
        char* e = nullptr;
        detail::check(berth_host_plugins(p_.get(), &list, &e), e);
        std::unique_ptr<berth_host_plugin_list_t,
                        detail::deleter<berth_host_plugin_list_t, berth_host_plugin_list_destroy>>
            owned(list);
        std::vector<plugin_report> out;
        for (std::size_t i = 0; i < berth_host_plugin_list_size(list); ++i) {
            plugin_report r;
            r.runtime = berth_host_plugin_list_runtime(list, i);
            r.name = berth_host_plugin_list_name(list, i);
            r.version = berth_host_plugin_list_version(list, i);
            r.path = berth_host_plugin_list_path(list, i);
            r.capabilities = berth_host_plugin_list_capabilities(list, i);
            r.error = berth_host_plugin_list_error(list, i);
            r.state = berth_host_plugin_list_state(list, i);
            const auto abi = berth_host_plugin_list_abi(list, i);
            r.abi_major = static_cast<std::uint16_t>(abi >> 16);
            r.abi_minor = static_cast<std::uint16_t>(abi & 0xffffu);
            out.push_back(std::move(r));
        }
        return out;
    }

    [[nodiscard]] health check_health(const std::string& runtime,
                                      std::uint32_t timeout_ms = 10000) {
        health h;
        char* text = nullptr;
        char* e = nullptr;
        detail::check(
            berth_host_check_health(p_.get(), runtime.c_str(), timeout_ms, &h.state, &text, &e), e);
        h.detail = detail::take(text);
        return h;
    }

    // options_json: the plugin's session options ("" for none); argv: the command.
    [[nodiscard]] session open(const std::string& runtime, const std::vector<std::string>& argv,
                               const std::string& options_json = "") {
        std::vector<const char*> args;
        for (const auto& a : argv) args.push_back(a.c_str());
        args.push_back(nullptr);
        berth_host_session_t* s = nullptr;
        char* e = nullptr;
        detail::check(berth_host_session_open(p_.get(), runtime.c_str(),
                                              options_json.empty() ? nullptr : options_json.c_str(),
                                              argv.empty() ? nullptr : args.data(), &s, &e),
                      e);
        return session(s);
    }

    [[nodiscard]] berth_host_t* get() const noexcept { return p_.get(); }

private:
    std::unique_ptr<berth_host_t, detail::deleter<berth_host_t, berth_host_destroy>> p_;
};

}  // namespace berth::embed
