// The C++ side of the berth plugin ABI: write a plugin as a C++ class, export it with one
// macro. Header-only on purpose: every plugin compiles its own copy, so nothing here is shared
// (or has to stay binary compatible) between plugins.
//
// A runtime plugin builds its sessions on the SDK's session lifecycle (runtime_session.hpp):
//
//     class my_plugin final : public berth::sdk::plugin {
//     public:
//         static constexpr berth::sdk::plugin_info k_info{
//             "berth-my", "my", "0.1.0", "My runtime", BERTH_CAP_RUN | BERTH_CAP_EXEC};
//         explicit my_plugin(berth::sdk::host_services host) : sessions_(host) {}
//         berth::sdk::health_report health() override;
//         std::string_view options_schema() override;
//         std::unique_ptr<berth::sdk::runtime_session> open(std::string_view options_json,
//                                                           berth::sdk::session_sink sink) {
//             return sessions_.open(std::make_unique<my_driver>(...), sink);
//         }
//     private:
//         berth::sdk::session_runtime sessions_;  // last: its threads go first
//     };
//     BERTH_PLUGIN(my_plugin)
//
// Capabilities come from the classes, so the bits and the slots cannot disagree: k_info names
// what the plugin can open (BERTH_CAP_RUN, BERTH_CAP_EXEC, and BERTH_CAP_PIPES/PTY for a
// session class of its own); the session class open() returns adds the rest: PIPES and PTY
// from its k_streams, and RESIZE, SIGNAL and STDIN_EOF for each of resize(), signal() and
// close_stdin() it declares. A slot the class does not implement stays NULL. open() is not
// virtual for that reason: it must return std::unique_ptr<YourSessionClass>.
//
// A plugin that creates containers also defines `void reclaim_owned(std::uint32_t& removed)`:
// remove what is marked with host.owner(), counting each container that went, and throw an
// error naming what could not be removed (ABI 1.1; without the member the slot stays NULL and
// the host knows there is nothing to reclaim).
//
// Throw berth::sdk::error(status, message) for expected failures; the macro's trampolines
// turn every exception into a status plus last_error() text, so none crosses the C boundary.
#pragma once

#include <berth/plugin.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace berth::sdk {

// An expected failure with the status the host will see.
class error : public std::runtime_error {
public:
    error(berth_status status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    [[nodiscard]] berth_status status() const noexcept { return status_; }

private:
    berth_status status_;
};

struct plugin_info {
    const char* name;
    const char* runtime;
    const char* version;
    const char* description;
    // What the plugin can open: BERTH_CAP_RUN, BERTH_CAP_EXEC (and PIPES/PTY when its session
    // class has no k_streams). The operation bits are derived (see the top of this file).
    std::uint64_t capabilities;
};

// The default grace period between SIGTERM and SIGKILL, from the ABI header.
inline constexpr std::chrono::milliseconds k_default_grace{BERTH_DEFAULT_GRACE_MS};

// The host's services, copied from the C struct (missing fields of an older host read as
// null and are skipped).
class host_services {
public:
    host_services() = default;
    explicit host_services(const berth_host_services* c) {
        if (c != nullptr) {
            const std::size_t n =
                c->struct_size < sizeof services_ ? c->struct_size : sizeof services_;
            std::memcpy(&services_, c, n);
            if (services_.owner != nullptr) owner_ = services_.owner;
        }
    }

    // The host's ownership token (ABI 1.1), empty when the host tracks none: mark every
    // container created for a session with it, and implement reclaim_owned() (see below).
    [[nodiscard]] const std::string& owner() const noexcept { return owner_; }

    void log(berth_log_level level, const std::string& message) const {
        if (services_.log != nullptr) services_.log(services_.host_ctx, level, message.c_str());
    }
    void add_counter(const char* name, double delta) const {
        if (services_.metric != nullptr)
            services_.metric(services_.host_ctx, BERTH_METRIC_COUNTER_ADD, name, delta);
    }
    void set_gauge(const char* name, double value) const {
        if (services_.metric != nullptr)
            services_.metric(services_.host_ctx, BERTH_METRIC_GAUGE_SET, name, value);
    }

private:
    berth_host_services services_{};
    std::string owner_;
};

struct health_report {
    berth_health_state state = BERTH_HEALTH_UNHEALTHY;
    std::string detail;
    std::vector<std::pair<std::string, std::string>> attributes;
};

// How a session (or a process) ended: the C++ shape of berth_exit_status, from the process
// helper through the lifecycle to the host.
struct exit_status {
    int exit_code = -1;   // -1 when ended by a signal or failed
    int term_signal = 0;  // > 0 when ended by a signal
    bool failed = false;  // the session failed as a whole; reason says why
    std::string reason;

    [[nodiscard]] static exit_status code(int c) { return {c, 0, false, {}}; }
    [[nodiscard]] static exit_status signal(int signo) { return {-1, signo, false, {}}; }
};

// Where a session's output and exit go. Copied from the host's C sink; cheap to copy.
class session_sink {
public:
    session_sink() = default;
    explicit session_sink(const berth_session_sink* c) {
        if (c != nullptr) {
            const std::size_t n = c->struct_size < sizeof sink_ ? c->struct_size : sizeof sink_;
            std::memcpy(&sink_, c, n);
        }
    }

    void output(berth_stream stream, std::span<const std::uint8_t> data) const {
        if (sink_.on_output == nullptr) return;
        // The C callback takes 32-bit lengths; split anything larger.
        constexpr std::size_t k_max = UINT32_MAX;
        while (!data.empty()) {
            const std::size_t n = data.size() < k_max ? data.size() : k_max;
            sink_.on_output(sink_.ctx, stream, data.data(), static_cast<std::uint32_t>(n));
            data = data.subspan(n);
        }
    }

    void exit(const exit_status& status) const {
        if (sink_.on_exit == nullptr) return;
        berth_exit_status c{};
        c.struct_size = sizeof c;
        c.exit_code = status.exit_code;
        c.term_signal = status.term_signal;
        c.failed = status.failed ? 1U : 0U;
        c.reason = status.reason.empty() ? nullptr : status.reason.c_str();
        sink_.on_exit(sink_.ctx, &c);
    }

private:
    berth_session_sink sink_{};
};

// One session. A class that declares close_stdin, resize or signal gets the matching
// capability bit and slot; one that does not leaves them unset and NULL.
class session {
public:
    virtual ~session() = default;
    virtual void write(std::span<const std::uint8_t> data) = 0;
    virtual void close_stdin() { unsupported("closing stdin"); }
    virtual void resize(std::uint16_t rows, std::uint16_t cols) {
        (void)rows;
        (void)cols;
        unsupported("resize");
    }
    virtual void signal(int signo) {
        (void)signo;
        unsupported("signals");
    }
    // Input closed, SIGTERM, SIGKILL once grace has passed, clean-up; returns when on_exit
    // was delivered.
    virtual void close(std::chrono::milliseconds grace) = 0;
    [[nodiscard]] virtual std::int64_t pid() const { return -1; }
    // What the session runs in (a container's name), empty when nothing (ABI 1.2
    // session_info). The reference stays valid as long as the session.
    [[nodiscard]] virtual const std::string& target() const {
        static const std::string none;
        return none;
    }
    [[nodiscard]] virtual bool tty() const { return false; }

protected:
    [[noreturn]] static void unsupported(const char* what) {
        throw error(BERTH_ERR_UNSUPPORTED, std::string(what) + " is not supported by this plugin");
    }
};

// A plugin class derives from this and adds a non-virtual
//     std::unique_ptr<SessionClass> open(std::string_view options_json, session_sink sink);
// (see the top of this file for why it is not virtual).
class plugin {
public:
    virtual ~plugin() = default;
    // Bounded: a hung runtime reports UNHEALTHY, it does not hang the check.
    virtual health_report health() = 0;
    // JSON Schema of the accepted options. Read once, when the instance is created.
    virtual std::string_view options_schema() = 0;
};

namespace detail {

// Per-thread, per-plugin-library message of the last failure (each plugin .so has its own copy
// of this inline variable because symbols are hidden).
inline thread_local std::string last_error_text;

template <typename F>
berth_status guarded(F&& body) noexcept {
    try {
        body();
        last_error_text.clear();
        return BERTH_OK;
    } catch (const error& e) {
        last_error_text = e.what();
        return e.status();
    } catch (const std::exception& e) {
        last_error_text = std::string("internal error in plugin: ") + e.what();
        return BERTH_ERR_INTERNAL;
    } catch (...) {
        last_error_text = "internal error in plugin: unknown exception";
        return BERTH_ERR_INTERNAL;
    }
}

inline session* as_session(berth_session* s) noexcept { return reinterpret_cast<session*>(s); }

inline berth_status session_write(berth_session* s, const std::uint8_t* data,
                                  std::uint32_t length) {
    return guarded([&] { as_session(s)->write({data, length}); });
}
inline berth_status session_close_stdin(berth_session* s) {
    return guarded([&] { as_session(s)->close_stdin(); });
}
inline berth_status session_resize(berth_session* s, std::uint16_t rows, std::uint16_t cols) {
    return guarded([&] { as_session(s)->resize(rows, cols); });
}
inline berth_status session_signal(berth_session* s, std::int32_t signo) {
    return guarded([&] { as_session(s)->signal(signo); });
}
inline berth_status session_close(berth_session* s, std::uint32_t grace_ms) {
    return guarded([&] { as_session(s)->close(std::chrono::milliseconds(grace_ms)); });
}
inline void session_destroy(berth_session* s) {
    // The session's destructor closes a running session; it must not throw, but guard anyway.
    (void)guarded([&] { delete as_session(s); });
}
inline std::int64_t session_pid(berth_session* s) {
    try {
        return as_session(s)->pid();
    } catch (...) {
        return -1;
    }
}
inline berth_status session_info(berth_session* s, berth_session_info* info) {
    return guarded([&] {
        if (info == nullptr) throw error(BERTH_ERR_INVALID_ARGUMENT, "session_info: info is NULL");
        berth_session_info mine{};
        mine.struct_size = sizeof mine;
        const std::string& target = as_session(s)->target();
        mine.target = target.empty() ? nullptr : target.c_str();
        mine.tty = as_session(s)->tty() ? 1U : 0U;
        // Only the fields the host's struct has room for.
        const std::size_t n = info->struct_size < sizeof mine ? info->struct_size : sizeof mine;
        const std::uint32_t host_size = info->struct_size;
        std::memcpy(info, &mine, n);
        info->struct_size = host_size;
    });
}

// Which optional operations a session class declares itself (not merely inherits).
// (The base class itself declares them all, throwing: it counts as declaring none.)
template <typename S>
inline constexpr bool declares_close_stdin =
    !std::is_same_v<S, session> && std::is_same_v<decltype(&S::close_stdin), void (S::*)()>;
template <typename S>
inline constexpr bool declares_resize =
    !std::is_same_v<S, session> &&
    std::is_same_v<decltype(&S::resize), void (S::*)(std::uint16_t, std::uint16_t)>;
template <typename S>
inline constexpr bool declares_signal =
    !std::is_same_v<S, session> && std::is_same_v<decltype(&S::signal), void (S::*)(int)>;

template <typename S>
constexpr std::uint64_t session_capabilities() {
    std::uint64_t caps = 0;
    if constexpr (std::is_same_v<S, session>) return caps;
    if constexpr (requires { S::k_streams; }) caps |= S::k_streams;
    if constexpr (declares_close_stdin<S>) caps |= BERTH_CAP_STDIN_EOF;
    if constexpr (declares_resize<S>) caps |= BERTH_CAP_RESIZE;
    if constexpr (declares_signal<S>) caps |= BERTH_CAP_SIGNAL;
    return caps;
}

inline constexpr std::uint64_t k_derived_capabilities =
    BERTH_CAP_STDIN_EOF | BERTH_CAP_RESIZE | BERTH_CAP_SIGNAL;

template <typename T>
struct exporter {
    static_assert(
        requires(T & t, std::string_view o, session_sink k) { t.open(o, k); },
        "a berth plugin class needs std::unique_ptr<SessionClass> "
        "open(std::string_view options_json, berth::sdk::session_sink sink)");
    using session_type = typename decltype(std::declval<T&>().open(std::string_view{},
                                                                   session_sink{}))::element_type;
    // A plugin that returns the base class (one that opens no sessions) gets no optional slot.
    static_assert(std::is_base_of_v<session, session_type>,
                  "open() must return std::unique_ptr<YourSessionClass>: the SDK derives the "
                  "capability bits from the class");
    static_assert((T::k_info.capabilities & k_derived_capabilities) == 0,
                  "drop BERTH_CAP_RESIZE/SIGNAL/STDIN_EOF from k_info: they are derived from "
                  "the session class");
    static constexpr std::uint64_t k_capabilities =
        T::k_info.capabilities | session_capabilities<session_type>();

    struct instance {
        host_services host;
        std::unique_ptr<T> impl;
        std::string schema;  // NUL-terminated for the host, for the instance's lifetime
    };
    static instance* as_instance(berth_plugin* p) noexcept {
        return reinterpret_cast<instance*>(p);
    }

    static berth_status create(const berth_host_services* services, berth_plugin** out) {
        return guarded([&] {
            if (out == nullptr) throw error(BERTH_ERR_INVALID_ARGUMENT, "create: out is NULL");
            auto inst = std::make_unique<instance>();
            inst->host = host_services(services);
            inst->impl = std::make_unique<T>(inst->host);
            inst->schema = std::string(inst->impl->options_schema());
            *out = reinterpret_cast<berth_plugin*>(inst.release());
        });
    }
    static void destroy(berth_plugin* p) {
        (void)guarded([&] { delete as_instance(p); });
    }
    static const char* last_error(berth_plugin* /*p*/) { return last_error_text.c_str(); }

    static berth_status health_check(berth_plugin* p, const berth_health_sink* sink) {
        return guarded([&] {
            if (sink == nullptr) throw error(BERTH_ERR_INVALID_ARGUMENT, "health sink is NULL");
            const health_report report = as_instance(p)->impl->health();
            berth_health_sink s{};
            std::memcpy(&s, sink, sink->struct_size < sizeof s ? sink->struct_size : sizeof s);
            if (s.set_state != nullptr) s.set_state(s.ctx, report.state, report.detail.c_str());
            if (s.add_attribute != nullptr)
                for (const auto& [k, v] : report.attributes)
                    s.add_attribute(s.ctx, k.c_str(), v.c_str());
        });
    }
    static const char* options_schema(berth_plugin* p) { return as_instance(p)->schema.c_str(); }
    static berth_status session_open(berth_plugin* p, const char* options_json,
                                     const berth_session_sink* sink, berth_session** out) {
        return guarded([&] {
            if (out == nullptr || sink == nullptr)
                throw error(BERTH_ERR_INVALID_ARGUMENT, "session_open: sink or out is NULL");
            auto s = as_instance(p)->impl->open(options_json == nullptr ? "{}" : options_json,
                                                session_sink(sink));
            session* base = s.release();  // as_session() casts back to the base
            *out = reinterpret_cast<berth_session*>(base);
        });
    }

    static berth_status reclaim_owned(berth_plugin* p, std::uint32_t* removed) {
        std::uint32_t count = 0;
        const berth_status status = guarded([&] { as_instance(p)->impl->reclaim_owned(count); });
        if (removed != nullptr) *removed = count;
        return status;
    }

    static const berth_plugin_api* api() noexcept {
        static const berth_plugin_api table = [] {
            berth_plugin_api a{};
            a.struct_size = sizeof a;
            a.create = &create;
            a.destroy = &destroy;
            a.last_error = &last_error;
            a.health_check = &health_check;
            a.options_schema = &options_schema;
            a.session_open = &session_open;
            a.session_write = &detail::session_write;
            if constexpr (declares_close_stdin<session_type>)
                a.session_close_stdin = &detail::session_close_stdin;
            if constexpr (declares_resize<session_type>) a.session_resize = &detail::session_resize;
            if constexpr (declares_signal<session_type>) a.session_signal = &detail::session_signal;
            a.session_close = &detail::session_close;
            a.session_destroy = &detail::session_destroy;
            a.session_pid = &detail::session_pid;
            a.session_info = &detail::session_info;
            if constexpr (requires(T & t, std::uint32_t & n) { t.reclaim_owned(n); })
                a.reclaim_owned = &reclaim_owned;
            return a;
        }();
        return &table;
    }

    static const berth_plugin_descriptor* descriptor() noexcept {
        static const berth_plugin_descriptor d = [] {
            berth_plugin_descriptor x{};
            x.struct_size = sizeof x;
            x.abi_major = BERTH_ABI_VERSION_MAJOR;
            x.abi_minor = BERTH_ABI_VERSION_MINOR;
            x.name = T::k_info.name;
            x.runtime = T::k_info.runtime;
            x.version = T::k_info.version;
            x.description = T::k_info.description;
            x.capabilities = k_capabilities;
            x.api = api();
            return x;
        }();
        return &d;
    }
};

}  // namespace detail
}  // namespace berth::sdk

// Exports class T as this shared object's berth plugin. Use once per plugin, at namespace
// scope, outside any namespace.
#define BERTH_PLUGIN(T)                                                               \
    extern "C" BERTH_PLUGIN_EXPORT const berth_plugin_descriptor* BERTH_PLUGIN_ENTRY( \
        std::uint16_t host_abi_major, std::uint16_t host_abi_minor) {                 \
        /* The host compares versions itself and names both in its message. */        \
        (void)host_abi_major;                                                         \
        (void)host_abi_minor;                                                         \
        return ::berth::sdk::detail::exporter<T>::descriptor();                       \
    }
