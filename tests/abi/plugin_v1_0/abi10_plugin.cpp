// A plugin built against the frozen ABI 1.0 header alone (tests/abi/v1_0), with no berth SDK:
// what a third party's plugin from the 1.0 days is. It runs sessions as processes on the host
// and must pass the conformance suite in today's host (the AbiCompat ctest entry), which
// proves the host still loads and drives ABI 1.0 plugins: their shorter function table, their
// descriptor claiming 1.0, their ignorance of everything 1.1 and 1.2 added.
#include <berth/plugin.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

#include "abi10_options.hpp"
#include "abi10_session.hpp"
#include "abi10_spawn.hpp"

// Built against the 1.0 header and nothing newer: the build include path must not reach
// sdk/include (tests/abi/CMakeLists.txt).
static_assert(BERTH_ABI_VERSION_MAJOR == 1 && BERTH_ABI_VERSION_MINOR == 0,
              "the ABI 1.0 test plugin must see the frozen 1.0 header");
#ifdef BERTH_OWNER_LABEL
#error "ABI 1.1 names are visible: this is not the frozen 1.0 header"
#endif

struct berth_plugin {
    const berth_host_services* host;  // borrowed until destroy
};
struct berth_session {
    std::unique_ptr<berth::abi10::session> impl;
};

namespace berth::abi10 {
namespace {

using namespace std::chrono_literals;

thread_local std::string t_last_error;

// Runs fn, turning what it throws into a status and the message last_error returns.
template <typename Fn>
berth_status guarded(Fn&& fn) noexcept {
    try {
        fn();
        t_last_error.clear();
        return BERTH_OK;
    } catch (const plugin_error& e) {
        t_last_error = e.what();
        return e.status();
    } catch (const std::invalid_argument& e) {
        t_last_error = e.what();
        return BERTH_ERR_INVALID_ARGUMENT;
    } catch (const std::exception& e) {
        t_last_error = std::string("internal error: ") + e.what();
        return BERTH_ERR_INTERNAL;
    } catch (...) {
        t_last_error = "internal error: an unknown exception";
        return BERTH_ERR_INTERNAL;
    }
}

berth_status create(const berth_host_services* host, berth_plugin** out) {
    return guarded([&] {
        if (host == nullptr || out == nullptr)
            throw plugin_error(BERTH_ERR_INVALID_ARGUMENT, "create needs host services and out");
        *out = new berth_plugin{host};
    });
}

void destroy(berth_plugin* plugin) { delete plugin; }

const char* last_error(berth_plugin*) { return t_last_error.c_str(); }

// Spawning a process is all a session needs: `true`, bounded, is the check.
berth_status health_check(berth_plugin*, const berth_health_sink* sink) {
    return guarded([&] {
        const auto path = find_in_path("true");
        if (!path) {
            sink->set_state(sink->ctx, BERTH_HEALTH_UNHEALTHY, "'true' not found in PATH");
            return;
        }
        sink->add_attribute(sink->ctx, "abi", "1.0");
        child c = spawn(*path, {"true"}, io_mode::none, 0, 0);
        int status = 0;
        if (wait_exit(c, 5s, &status)) {
            const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            sink->set_state(sink->ctx, ok ? BERTH_HEALTH_HEALTHY : BERTH_HEALTH_UNHEALTHY,
                            ok ? "can spawn processes ('true' exited 0)"
                               : "'true' failed: cannot run processes here");
            return;
        }
        ::syscall(SYS_pidfd_send_signal, c.pidfd.get(), SIGKILL, nullptr, 0U);
        (void)wait_exit(c, 2s, &status);  // reaped, or left to PID 1 if it will not die
        sink->set_state(sink->ctx, BERTH_HEALTH_UNHEALTHY,
                        "'true' did not answer within 5 s (timed out): process start hangs");
    });
}

const char* options_schema_fn(berth_plugin*) { return options_schema().c_str(); }

berth_status session_open(berth_plugin*, const char* options_json, const berth_session_sink* sink,
                          berth_session** out) {
    return guarded([&] {
        const session_options o = parse_options(options_json == nullptr ? "" : options_json);
        const auto path = find_in_path(o.command.front());
        if (!path)
            throw plugin_error(BERTH_ERR_NOT_FOUND,
                               "command '" + o.command.front() + "' not found in PATH");
        berth_session_sink copy{};
        copy.struct_size = sizeof copy;
        copy.ctx = sink->ctx;
        copy.on_output = sink->on_output;
        copy.on_exit = sink->on_exit;
        auto c =
            spawn(*path, o.command, o.tty ? io_mode::terminal : io_mode::pipes, o.rows, o.cols);
        *out = new berth_session{std::make_unique<session>(std::move(c), o.tty, copy)};
    });
}

berth_status session_write(berth_session* s, const std::uint8_t* data, std::uint32_t length) {
    return guarded([&] { s->impl->write(data, length); });
}

berth_status session_close_stdin(berth_session* s) {
    return guarded([&] { s->impl->close_stdin(); });
}

berth_status session_resize(berth_session* s, std::uint16_t rows, std::uint16_t cols) {
    return guarded([&] { s->impl->resize(rows, cols); });
}

berth_status session_signal(berth_session* s, std::int32_t signo) {
    return guarded([&] { s->impl->signal(signo); });
}

berth_status session_close(berth_session* s, std::uint32_t grace_ms) {
    return guarded([&] { s->impl->close(std::chrono::milliseconds(grace_ms)); });
}

void session_destroy(berth_session* s) {
    try {
        delete s;
    } catch (...) {
        // Nothing may escape into the host.
    }
}

std::int64_t session_pid(berth_session* s) { return s->impl->pid(); }

// The 1.0 table: it ends at session_pid, and struct_size says so.
const berth_plugin_api k_api = {
    sizeof(berth_plugin_api), create,        destroy,         last_error,          health_check,
    options_schema_fn,        session_open,  session_write,   session_close_stdin, session_resize,
    session_signal,           session_close, session_destroy, session_pid,
};

const berth_plugin_descriptor k_descriptor = {
    sizeof(berth_plugin_descriptor),
    BERTH_ABI_VERSION_MAJOR,
    BERTH_ABI_VERSION_MINOR,
    "berth-abi-1.0-test",
    "abi10",
    "1.0.0",
    "Runs the command on the host; built against the frozen ABI 1.0 header",
    BERTH_CAP_PIPES | BERTH_CAP_PTY | BERTH_CAP_RESIZE | BERTH_CAP_SIGNAL | BERTH_CAP_STDIN_EOF,
    &k_api,
};

}  // namespace
}  // namespace berth::abi10

extern "C" BERTH_PLUGIN_EXPORT const berth_plugin_descriptor* BERTH_PLUGIN_ENTRY(
    uint16_t host_abi_major, uint16_t) {
    return host_abi_major == BERTH_ABI_VERSION_MAJOR ? &berth::abi10::k_descriptor : nullptr;
}
