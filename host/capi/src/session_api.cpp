// berth_host_session_*: the C side of host::session and its registry entry.
#include <berth/host.h>
#include <re2/re2.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "errors.hpp"
#include "handles.hpp"

using berth::capi::fail;
using berth::capi::guarded;
namespace bh = berth::host;
namespace reg = berth::registry;
using std::chrono::milliseconds;

namespace {

// How long berth_host_session_destroy gives a session that still runs to end on SIGTERM.
constexpr milliseconds k_destroy_grace{2000};
// The longest pattern accepted: RE2 bounds a compiled program's memory, not its parse (the
// daemon's limit, for the same reason).
constexpr std::size_t k_max_pattern_bytes = 4096;

// options_json with argv as its "command"; the error names what is wrong with the input.
bh::result<std::string> session_options(const char* options_json, const char* const* argv) {
    nlohmann::json options = nlohmann::json::object();
    if (options_json != nullptr) {
        try {
            options = nlohmann::json::parse(options_json);
        } catch (const nlohmann::json::parse_error& e) {
            return bh::error{BERTH_ERR_INVALID_ARGUMENT,
                             std::string("options_json is not valid JSON: ") + e.what()};
        }
        if (!options.is_object())
            return bh::error{BERTH_ERR_INVALID_ARGUMENT, "options_json must be a JSON object"};
    }
    if (argv != nullptr) {
        auto command = nlohmann::json::array();
        for (const char* const* a = argv; *a != nullptr; ++a) command.push_back(*a);
        options["command"] = std::move(command);
    }
    return options.dump();
}

// The host keeps a session whose open failed (failed, never started: its record says why)
// until it is forgotten. No handle ever refers to one, so it goes now rather than with the
// host: an embedder that keeps one host for long does not collect them.
void forget_failed_opens(bh::host& host) {
    for (const auto& s : host.sessions()) {
        if (s->entry()->state() != reg::session_state::failed) continue;
        if (!s->entry()->snapshot().started) host.forget_session(s->id());
    }
}

}  // namespace

extern "C" {

berth_host_status berth_host_session_open(berth_host_t* host, const char* runtime,
                                          const char* options_json, const char* const* argv,
                                          berth_host_session_t** out, char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, host);
        BERTH_CAPI_REQUIRE(errmsg, runtime);
        BERTH_CAPI_REQUIRE(errmsg, out);
        auto options = session_options(options_json, argv);
        if (!options) return fail(errmsg, options.err());
        auto opened = host->core->host.open_session(runtime, options.value());
        if (!opened) {
            forget_failed_opens(host->core->host);
            return fail(errmsg, opened.err());
        }
        *out = new berth_host_session{host->core, std::move(opened.value())};
        return BERTH_HOST_OK;
    });
}

void berth_host_session_destroy(berth_host_session_t* session) {
    if (session == nullptr) return;
    try {
        auto& s = *session->session;
        if (!reg::is_final(s.entry()->state())) (void)s.close(k_destroy_grace, "destroyed");
        session->core->host.forget_session(s.id());
    } catch (...) {
        // Nothing to report to: the handle goes regardless, and the host forgets the session
        // when it is destroyed itself.
    }
    delete session;
}

const char* berth_host_session_id(const berth_host_session_t* session) {
    return session != nullptr ? session->session->id().c_str() : "";
}

berth_host_status berth_host_session_write(berth_host_session_t* session, const void* data,
                                           size_t size, char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, session);
        if (size > 0) BERTH_CAPI_REQUIRE(errmsg, data);
        const auto r =
            session->session->write(std::string_view(static_cast<const char*>(data), size));
        return r ? BERTH_HOST_OK : fail(errmsg, r.err());
    });
}

berth_host_status berth_host_session_close_input(berth_host_session_t* session, char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, session);
        const auto r = session->session->close_input();
        return r ? BERTH_HOST_OK : fail(errmsg, r.err());
    });
}

berth_host_status berth_host_session_resize(berth_host_session_t* session, uint16_t rows,
                                            uint16_t cols, char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, session);
        if (rows == 0 || cols == 0)
            return fail(errmsg, BERTH_HOST_ERR_INVALID_ARGUMENT,
                        "berth_host_session_resize: rows and cols must be between 1 and 65535");
        const auto r = session->session->resize(rows, cols);
        return r ? BERTH_HOST_OK : fail(errmsg, r.err());
    });
}

berth_host_status berth_host_session_signal(berth_host_session_t* session, int signo,
                                            char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, session);
        const auto r = session->session->signal(signo);
        return r ? BERTH_HOST_OK : fail(errmsg, r.err());
    });
}

berth_host_status berth_host_session_close(berth_host_session_t* session, uint32_t grace_ms,
                                           char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, session);
        const auto r = session->session->close(milliseconds(grace_ms));
        return r ? BERTH_HOST_OK : fail(errmsg, r.err());
    });
}

berth_host_status berth_host_session_read(berth_host_session_t* session, uint64_t cursor, void* buf,
                                          size_t capacity, uint32_t timeout_ms, size_t* size,
                                          uint64_t* next_cursor, uint64_t* dropped, char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, session);
        if (capacity > 0) BERTH_CAPI_REQUIRE(errmsg, buf);
        const auto& entry = *session->session->entry();
        const auto r = timeout_ms > 0 ? entry.wait_read(cursor, capacity, milliseconds(timeout_ms))
                                      : entry.read(cursor, capacity);
        std::size_t n = 0;
        for (const auto& chunk : r.chunks) {
            // read() returns at most `capacity` bytes in all; the bound is kept here anyway.
            const std::size_t take = std::min(chunk.bytes.size(), capacity - n);
            std::memcpy(static_cast<char*>(buf) + n, chunk.bytes.data(), take);
            n += take;
        }
        if (size != nullptr) *size = n;
        if (next_cursor != nullptr) *next_cursor = r.next_cursor;
        if (dropped != nullptr) *dropped = r.dropped;
        return BERTH_HOST_OK;
    });
}

berth_host_status berth_host_session_wait_for(berth_host_session_t* session, const char* pattern,
                                              uint64_t cursor, uint32_t timeout_ms,
                                              berth_host_wait_outcome* outcome, char** match,
                                              uint64_t* next_cursor, char** errmsg) {
    if (match != nullptr) *match = nullptr;
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, session);
        BERTH_CAPI_REQUIRE(errmsg, pattern);
        const std::string text(pattern);
        if (text.size() > k_max_pattern_bytes)
            return fail(errmsg, BERTH_HOST_ERR_INVALID_ARGUMENT,
                        "pattern is " + std::to_string(text.size()) + " bytes long: at most " +
                            std::to_string(k_max_pattern_bytes));
        re2::RE2::Options opts;
        opts.set_log_errors(false);  // RE2 would print to stderr; the error goes to the caller
        opts.set_max_mem(std::int64_t{8} << 20);
        const re2::RE2 re(text, opts);
        if (!re.ok())
            return fail(errmsg, BERTH_HOST_ERR_INVALID_ARGUMENT,
                        "invalid pattern '" + text + "': " + re.error());
        const auto w =
            session->session->entry()->wait_for_pattern(cursor, re, milliseconds(timeout_ms));
        using o = reg::pattern_wait_result::outcome;
        if (outcome != nullptr)
            *outcome = w.result == o::matched ? BERTH_HOST_WAIT_MATCHED
                       : w.result == o::ended ? BERTH_HOST_WAIT_ENDED
                                              : BERTH_HOST_WAIT_TIMEOUT;
        if (next_cursor != nullptr) *next_cursor = w.match ? w.match->next_cursor : w.scanned_to;
        if (match != nullptr && w.match) *match = berth::capi::copy_out(w.match->text);
        return BERTH_HOST_OK;
    });
}

berth_host_status berth_host_session_wait_exit(berth_host_session_t* session, uint32_t timeout_ms,
                                               char** errmsg) {
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, session);
        if (session->session->entry()->wait_ended(milliseconds(timeout_ms))) return BERTH_HOST_OK;
        return fail(errmsg, BERTH_HOST_ERR_TIMEOUT,
                    "session " + session->session->id() + " still runs after " +
                        std::to_string(timeout_ms) + " ms");
    });
}

berth_host_status berth_host_session_status(berth_host_session_t* session,
                                            berth_host_session_state* state, int* exit_code,
                                            int* term_signal, char** reason, char** errmsg) {
    if (reason != nullptr) *reason = nullptr;
    return guarded(errmsg, [&, fn = __func__] {
        BERTH_CAPI_REQUIRE(errmsg, session);
        const auto record = session->session->entry()->snapshot();
        // session_state and berth_host_session_state share their numbers.
        if (state != nullptr) *state = static_cast<berth_host_session_state>(record.state);
        if (exit_code != nullptr) *exit_code = record.exit_code.value_or(-1);
        if (term_signal != nullptr) *term_signal = record.term_signal;
        if (reason != nullptr) *reason = berth::capi::copy_out(record.reason);
        return BERTH_HOST_OK;
    });
}

}  // extern "C"
