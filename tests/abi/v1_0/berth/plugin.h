/*
 * FROZEN: berth plugin ABI 1.0, byte for byte as released, below these two comments:
 *     git show 72afe2a:sdk/include/berth/plugin.h
 * It must never change. tests/abi checks its layout against the current header and builds a
 * plugin with it alone, proof that the current host still serves a plugin built for ABI 1.0.
 * A new ABI version gets a new frozen copy beside this one. Formatting is off: no formatter
 * upgrade may touch these bytes either.
 */
/* clang-format off */
/*
 * berth plugin ABI, version 1.
 *
 * A berth plugin is a shared object that exports exactly one symbol,
 * BERTH_PLUGIN_ENTRY_SYMBOL ("berth_plugin_entry_v1"). The host calls it with its own ABI
 * version and gets back a descriptor: who the plugin is, what it can do, and a table of
 * function pointers. Everything else in the plugin stays hidden.
 *
 * Rules that hold for the whole header (read these once; the comments below only add to them):
 *
 *  - Plain C11. Only fixed-width integers, UTF-8 `const char*`, enums with explicit values,
 *    opaque handles and function pointers cross the boundary. No C++ types, no exceptions:
 *    a plugin must catch everything before returning to the host.
 *  - Every struct that crosses starts with `uint32_t struct_size` and only ever grows at the
 *    end. A reader copies min(struct_size, sizeof(its own struct)) into a zeroed struct, so an
 *    older peer's missing fields read as zero / NULL. Never insert, reorder or retype a field.
 *  - Versioning: BERTH_ABI_VERSION_MAJOR changes only when the contract breaks (then the entry
 *    symbol's name changes too). MINOR grows when fields or function slots are appended. The
 *    host accepts a plugin whose major equals its own and whose minor is <= its own.
 *  - Ownership: whoever allocates, frees. Strings and buffers passed *into* a function are
 *    borrowed for the duration of the call; copy them to keep them. Strings a plugin returns
 *    stay valid until the next call on the same handle from the same thread, or until the
 *    handle is destroyed; the host copies them at once. Descriptor strings live as long as the
 *    library is loaded.
 *  - Errors: functions return berth_status. On anything but BERTH_OK, last_error() on the same
 *    thread returns a human-readable message naming the problem (which option, which file,
 *    what was expected).
 *  - A plugin never calls exit(), never installs process-wide signal handlers (in particular
 *    not for SIGCHLD: several plugins share one process and would steal each other's child
 *    exits) and never changes process-wide state such as the working directory or umask.
 */
#ifndef BERTH_PLUGIN_H
#define BERTH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_ABI_VERSION_MAJOR 1
#define BERTH_ABI_VERSION_MINOR 0

/* The one symbol a plugin exports. Its name carries the major version. */
#define BERTH_PLUGIN_ENTRY berth_plugin_entry_v1
#define BERTH_PLUGIN_ENTRY_SYMBOL "berth_plugin_entry_v1"

#if defined(__GNUC__)
#define BERTH_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BERTH_PLUGIN_EXPORT
#endif

typedef enum berth_status {
    BERTH_OK = 0,
    BERTH_ERR_INVALID_ARGUMENT = 1, /* bad option, bad value: the caller's fault */
    BERTH_ERR_NOT_FOUND = 2,        /* image, container, command or session does not exist */
    BERTH_ERR_UNSUPPORTED = 3,      /* the plugin cannot do this (capability missing) */
    BERTH_ERR_RUNTIME = 4,          /* the container runtime failed; last_error has its words */
    BERTH_ERR_UNAVAILABLE = 5,      /* runtime not installed or not answering */
    BERTH_ERR_PERMISSION = 6,       /* the plugin lacks the rights it needs */
    BERTH_ERR_STATE = 7,            /* wrong state: e.g. write after the session ended */
    BERTH_ERR_TIMEOUT = 8,
    BERTH_ERR_INTERNAL = 9 /* a bug in the plugin (e.g. an escaped exception) */
} berth_status;

typedef enum berth_log_level {
    BERTH_LOG_TRACE = 0,
    BERTH_LOG_DEBUG = 1,
    BERTH_LOG_INFO = 2,
    BERTH_LOG_WARN = 3,
    BERTH_LOG_ERROR = 4,
    BERTH_LOG_CRITICAL = 5
} berth_log_level;

typedef enum berth_metric_kind {
    BERTH_METRIC_COUNTER_ADD = 0, /* add value to a monotonically growing counter */
    BERTH_METRIC_GAUGE_SET = 1    /* set a gauge to value */
} berth_metric_kind;

typedef enum berth_health_state {
    BERTH_HEALTH_HEALTHY = 0,
    BERTH_HEALTH_UNHEALTHY = 1, /* installed but not working: detail says why */
    BERTH_HEALTH_UNDETECTED = 2 /* the runtime is not installed here */
} berth_health_state;

typedef enum berth_stream {
    BERTH_STREAM_STDOUT = 1,
    BERTH_STREAM_STDERR = 2,
    BERTH_STREAM_PTY = 3 /* a terminal merges both; bytes are raw */
} berth_stream;

/* Capability bits. Bits a plugin sets promise the matching function slot is non-NULL; the
 * host rejects a plugin whose bits and slots disagree. Unknown bits are ignored. */
#define BERTH_CAP_PIPES (UINT64_C(1) << 0)     /* sessions with separate stdout/stderr */
#define BERTH_CAP_PTY (UINT64_C(1) << 1)       /* sessions on a pseudo-terminal ("tty") */
#define BERTH_CAP_RESIZE (UINT64_C(1) << 2)    /* needs session_resize */
#define BERTH_CAP_SIGNAL (UINT64_C(1) << 3)    /* needs session_signal */
#define BERTH_CAP_STDIN_EOF (UINT64_C(1) << 4) /* needs session_close_stdin */
#define BERTH_CAP_RUN (UINT64_C(1) << 5)       /* can start a new container */
#define BERTH_CAP_EXEC (UINT64_C(1) << 6)      /* can enter an existing container */

/* Opaque handles. */
typedef struct berth_plugin berth_plugin;   /* one plugin instance */
typedef struct berth_session berth_session; /* one console session */

/* ---------------------------------------------------------------------------------------- */
/* What the host offers a plugin instance.                                                  */

typedef struct berth_host_services {
    uint32_t struct_size;
    uint16_t abi_major; /* the host's ABI version */
    uint16_t abi_minor;
    void* host_ctx; /* pass back unchanged */

    /* Log into the host's logger (spdlog, named after the plugin). Thread-safe; any thread.
     * message is borrowed for the call. Never NULL. */
    void (*log)(void* host_ctx, berth_log_level level, const char* message);

    /* Push a plugin-specific metric into the host's registry, labelled with the plugin.
     * name: [a-z_][a-z0-9_]*. Thread-safe; any thread. Never NULL. */
    void (*metric)(void* host_ctx, berth_metric_kind kind, const char* name, double value);
} berth_host_services;

/* ---------------------------------------------------------------------------------------- */
/* Health reports are written through a sink the host owns, so no memory changes hands.    */

typedef struct berth_health_sink {
    uint32_t struct_size;
    void* ctx;
    /* Set the state and a detail a user can act on ("podman not found in PATH: install the
     * podman package"). Call once; a later call overwrites. detail may be NULL. */
    void (*set_state)(void* ctx, berth_health_state state, const char* detail);
    /* Add one attribute, e.g. ("version", "4.3.1"). Both strings borrowed for the call. */
    void (*add_attribute)(void* ctx, const char* key, const char* value);
} berth_health_sink;

/* ---------------------------------------------------------------------------------------- */
/* Sessions report back through a sink of host callbacks.                                   */

typedef struct berth_exit_status {
    uint32_t struct_size;
    /* Exit code of the session's process, or -1 when it was ended by a signal. */
    int32_t exit_code;
    /* Terminating signal number, 0 when it exited normally. A killed process never reads as
     * exit 0: exactly one of exit_code >= 0 and term_signal > 0 holds, unless failed != 0. */
    int32_t term_signal;
    /* Non-zero when the session failed as a whole (the runtime could not start the command,
     * the container vanished, the daemon went away) rather than the command exiting. */
    uint32_t failed;
    /* Why, in words: the runtime's own message for a failure, or NULL. Borrowed. */
    const char* reason;
} berth_exit_status;

typedef struct berth_session_sink {
    uint32_t struct_size;
    void* ctx;
    /* A chunk of output. Called from a plugin thread, never concurrently for one session,
     * in order. data is borrowed for the call. The callback may block briefly (it is how the
     * host applies back-pressure) but must not call back into the plugin. */
    void (*on_output)(void* ctx, berth_stream stream, const uint8_t* data, uint32_t length);
    /* The session ended. Called exactly once per session, after the last on_output, from a
     * plugin thread. status is borrowed for the call. */
    void (*on_exit)(void* ctx, const berth_exit_status* status);
} berth_session_sink;

/* ---------------------------------------------------------------------------------------- */
/* The function table. "Required" slots must be non-NULL in every plugin.                  */

typedef struct berth_plugin_api {
    uint32_t struct_size;

    /* Required. Create an instance. host is borrowed but stays valid until destroy(). On
     * failure return a status and leave *out untouched; last_error(NULL) then explains.
     * Called once per instance, from any thread. */
    berth_status (*create)(const berth_host_services* host, berth_plugin** out);

    /* Required. Destroy an instance. Every session of it has been destroyed before. */
    void (*destroy)(berth_plugin* plugin);

    /* Required. The message for the last failed call on this thread: on `plugin`, or on
     * create() when plugin is NULL. Never NULL (empty when there was no error). Valid until
     * the next call from this thread. */
    const char* (*last_error)(berth_plugin* plugin);

    /* Required. Check the runtime and report through sink. Thread-safe; may block, but must
     * bound every wait (a hung runtime reports UNHEALTHY, it does not hang the check).
     * Returns BERTH_OK when a report was written, whatever the state. */
    berth_status (*health_check)(berth_plugin* plugin, const berth_health_sink* sink);

    /* Required. A JSON Schema (draft 2020-12 subset: type object, properties with type
     * string|integer|number|boolean|array|object, items, additionalProperties, enum,
     * minimum, maximum, minItems, required, description) of the options session_open
     * accepts. The host validates options against it before calling session_open. Owned by
     * the plugin; valid until destroy(). Thread-safe. */
    const char* (*options_schema)(berth_plugin* plugin);

    /* Required. Open a session. options_json is a JSON object, borrowed for the call. sink is
     * copied; sink->ctx must stay valid until sink->on_exit has returned. On success *out is
     * a new handle owned by the host (release with session_destroy) and on_exit will be
     * called exactly once. On failure no callback is ever made, nothing is left running, and
     * last_error(plugin) explains. Thread-safe. */
    berth_status (*session_open)(berth_plugin* plugin, const char* options_json,
                                 const berth_session_sink* sink, berth_session** out);

    /* Required. Queue bytes for the session's stdin. May block while the plugin's own stdin
     * buffer is full (back-pressure), at most a bounded time, then BERTH_ERR_TIMEOUT.
     * BERTH_ERR_STATE after the session ended or its input was closed. Thread-safe. */
    berth_status (*session_write)(berth_session* session, const uint8_t* data, uint32_t length);

    /* Optional (BERTH_CAP_STDIN_EOF). After queued bytes are written, signal end of input
     * (close the pipe; on a terminal, send the EOF character). Thread-safe. */
    berth_status (*session_close_stdin)(berth_session* session);

    /* Optional (BERTH_CAP_RESIZE). Resize the session's terminal. BERTH_ERR_STATE when the
     * session has no terminal. Thread-safe. */
    berth_status (*session_resize)(berth_session* session, uint16_t rows, uint16_t cols);

    /* Optional (BERTH_CAP_SIGNAL). Send signal signo to the session's process. Thread-safe. */
    berth_status (*session_signal)(berth_session* session, int32_t signo);

    /* Required. End the session: SIGTERM, then SIGKILL after grace_ms, then clean up what the
     * session created (containers, snapshots). Blocks until on_exit has been delivered and
     * cleanup is done, bounded by grace_ms plus the plugin's own cleanup timeout. Idempotent;
     * fine after the session ended by itself. Must not be called from a sink callback. */
    berth_status (*session_close)(berth_session* session, uint32_t grace_ms);

    /* Required. Release the handle. If the session still runs it is closed first with a
     * default grace period. No callback is made after this returns. */
    void (*session_destroy)(berth_session* session);

    /* Optional. Host process id of the session's main process (the runtime CLI for a
     * container runtime), or -1 when unknown. Thread-safe. */
    int64_t (*session_pid)(berth_session* session);
} berth_plugin_api;

/* ---------------------------------------------------------------------------------------- */
/* The descriptor the entry symbol returns.                                                  */

typedef struct berth_plugin_descriptor {
    uint32_t struct_size;
    uint16_t abi_major;          /* BERTH_ABI_VERSION_MAJOR the plugin was built against */
    uint16_t abi_minor;          /* BERTH_ABI_VERSION_MINOR the plugin was built against */
    const char* name;            /* required: e.g. "berth-podman" */
    const char* runtime;         /* required: runtime id, [a-z0-9_-]+, e.g. "podman" */
    const char* version;         /* required: the plugin's own version, e.g. "0.1.0" */
    const char* description;     /* optional, one line */
    uint64_t capabilities;       /* BERTH_CAP_* bits */
    const berth_plugin_api* api; /* required; lives as long as the library */
} berth_plugin_descriptor;

/* The entry symbol's type. host_abi_major/minor are the host's version; the plugin may
 * return NULL if it cannot serve that host. The descriptor is static in the plugin. */
typedef const berth_plugin_descriptor* (*berth_plugin_entry_fn)(uint16_t host_abi_major,
                                                                uint16_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* BERTH_PLUGIN_H */
