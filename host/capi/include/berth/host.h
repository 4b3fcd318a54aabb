/* berth/host.h: the berth host for programs that embed it (libberth-host.so.1).
 *
 * The host finds runtime plugins (local, podman, containerd, ...), opens console sessions
 * through them and keeps each session's output in a bounded buffer addressed by absolute byte
 * offsets ("cursors"). This is its stable C interface; berth/host.hpp wraps it for C++.
 *
 * Ownership, for every function below:
 *  - An object a function hands out through a `T** out` parameter (berth_host_t,
 *    berth_host_options_t, berth_host_session_t, berth_host_plugin_list_t) belongs to the
 *    caller, who gives it back with the matching *_destroy function. Every *_destroy accepts
 *    NULL.
 *  - A string a function hands out through a `char**` parameter (error messages, health
 *    details, pattern matches, exit reasons) belongs to the caller, who frees it with
 *    berth_host_free(). A `const char*` a function returns points into the object it was read
 *    from and lives as long as that object.
 *  - Strings and buffers given to a function are copied before it returns; the library keeps
 *    only the log callback and its user pointer.
 *  - A session keeps its host alive: berth_host_destroy() may come before the destruction of
 *    the host's sessions; the host ends when the last of them is destroyed.
 *
 * Errors: every function that can fail returns a berth_host_status (BERTH_HOST_OK = 0) and
 * takes a last `char** errmsg`. On failure *errmsg is a message naming the problem (free it
 * with berth_host_free); on success it is set to NULL. Pass NULL to get no message. Other out
 * parameters are written only on success, except that char** ones are set to NULL first (so
 * berth_host_free on them is always safe).
 *
 * Threads: all functions may be called from any thread; calls on one host or one session may
 * run concurrently, except that an object's *_destroy must not overlap any other call on that
 * object. A blocking call (read with a timeout, wait, close) blocks only its own thread.
 *
 * Logging: the library prints nothing on stdout or stderr. Its log lines (and the plugins')
 * go to the log callback set in the options, if any, and are dropped otherwise.
 */
#ifndef BERTH_HOST_H
#define BERTH_HOST_H

#include <stddef.h>
#include <stdint.h>

#if defined(BERTH_HOST_BUILDING)
#define BERTH_HOST_API __attribute__((visibility("default")))
#else
#define BERTH_HOST_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The same codes as the plugin ABI's berth_status: a plugin's failure reaches the embedder
 * with the code the plugin gave. Decide by the code, show the message. */
typedef enum berth_host_status {
    BERTH_HOST_OK = 0,
    BERTH_HOST_ERR_INVALID_ARGUMENT = 1, /* a bad option, pattern or value: the caller's */
    BERTH_HOST_ERR_NOT_FOUND = 2,        /* unknown runtime; no plugin found */
    BERTH_HOST_ERR_UNSUPPORTED = 3,      /* the plugin cannot do this */
    BERTH_HOST_ERR_RUNTIME = 4,          /* the container runtime failed */
    BERTH_HOST_ERR_UNAVAILABLE = 5,      /* runtime not installed or not answering */
    BERTH_HOST_ERR_PERMISSION = 6,
    BERTH_HOST_ERR_STATE = 7, /* wrong state: e.g. a write after the session ended */
    BERTH_HOST_ERR_TIMEOUT = 8,
    BERTH_HOST_ERR_INTERNAL = 9,
    BERTH_HOST_ERR_COMMAND_NOT_FOUND = 10,
    BERTH_HOST_ERR_COMMAND_NOT_EXECUTABLE = 11
} berth_host_status;

typedef struct berth_host berth_host_t;
typedef struct berth_host_options berth_host_options_t;
typedef struct berth_host_session berth_host_session_t;
typedef struct berth_host_plugin_list berth_host_plugin_list_t;

/* Frees a string the library handed out through a char** parameter. NULL is fine. */
BERTH_HOST_API void berth_host_free(char* string);

/* "1.0.0": the library's version (not the plugin ABI's). */
BERTH_HOST_API const char* berth_host_version(void);

/* ---- Options ---------------------------------------------------------------------------- */

typedef enum berth_host_log_level {
    BERTH_HOST_LOG_TRACE = 0,
    BERTH_HOST_LOG_DEBUG = 1,
    BERTH_HOST_LOG_INFO = 2,
    BERTH_HOST_LOG_WARN = 3,
    BERTH_HOST_LOG_ERROR = 4,
    BERTH_HOST_LOG_CRITICAL = 5
} berth_host_log_level;

/* One log line: its level, who logged it ("berth" for the host, a plugin's name for a
 * plugin) and the message, without a newline. Called on the thread that logs (any thread,
 * plugins' threads included), one call at a time; must not block for long nor destroy the
 * host. The strings live for the call only. */
typedef void (*berth_host_log_fn)(void* user, berth_host_log_level level, const char* logger,
                                  const char* message);

/* Defaults: the standard plugin search, the install's probe, 1 MiB of output per session, no
 * log callback (logs dropped). */
BERTH_HOST_API berth_host_status berth_host_options_create(berth_host_options_t** out,
                                                           char** errmsg);
BERTH_HOST_API void berth_host_options_destroy(berth_host_options_t* options);

/* Adds a directory to scan for plugins (*.so). Once one is added, only the added ones are
 * scanned, in order; otherwise the standard search: $BERTH_PLUGIN_PATH, <prefix>/lib/berth/
 * plugins of the berth install this library belongs to, then /usr/local/lib/berth/plugins,
 * /usr/lib/<multiarch>/berth/plugins and /usr/lib/berth/plugins (or
 * $BERTH_PLUGIN_SYSTEM_PATH in their place). */
BERTH_HOST_API berth_host_status berth_host_options_add_plugin_dir(berth_host_options_t* options,
                                                                   const char* dir, char** errmsg);

/* The berth install whose plugin directory the standard search includes and whose probe is
 * used. Default: the prefix this library was installed into (found from the library's own
 * path), e.g. /usr for /usr/lib/libberth-host.so.1. */
BERTH_HOST_API berth_host_status berth_host_options_set_install_prefix(
    berth_host_options_t* options, const char* prefix, char** errmsg);

/* Load each plugin first in a throwaway process (berth-plugin-probe), so that one that crashes
 * while loading is rejected instead of taking this process down. enabled: 1 (the default) or
 * 0. probe_path: the probe binary, or NULL for the install's
 * (<prefix>/lib/berth/berth-plugin-probe). */
BERTH_HOST_API berth_host_status berth_host_options_set_probe(berth_host_options_t* options,
                                                              int enabled, const char* probe_path,
                                                              char** errmsg);

/* Bytes of output kept in memory per session (older bytes are dropped, and readers told how
 * many). 0 keeps none. Default 1 MiB. */
BERTH_HOST_API berth_host_status berth_host_options_set_output_buffer_capacity(
    berth_host_options_t* options, size_t bytes, char** errmsg);

/* Where log lines at min_level and above go. fn NULL: dropped (the default). */
BERTH_HOST_API berth_host_status berth_host_options_set_log_callback(berth_host_options_t* options,
                                                                     berth_host_log_fn fn,
                                                                     void* user,
                                                                     berth_host_log_level min_level,
                                                                     char** errmsg);

/* ---- Host ------------------------------------------------------------------------------- */

/* Finds and loads the plugins. options NULL: the defaults. BERTH_HOST_ERR_NOT_FOUND when no
 * plugin could be loaded; the message names every directory searched and why each file found
 * was rejected. */
BERTH_HOST_API berth_host_status berth_host_create(const berth_host_options_t* options,
                                                   berth_host_t** out, char** errmsg);
BERTH_HOST_API void berth_host_destroy(berth_host_t* host);

/* ---- Plugins ---------------------------------------------------------------------------- */

typedef enum berth_host_plugin_state {
    BERTH_HOST_PLUGIN_LOADED = 0,
    BERTH_HOST_PLUGIN_REJECTED = 1, /* error says why */
    BERTH_HOST_PLUGIN_SHADOWED = 2, /* an earlier file has the same runtime; error says which */
    BERTH_HOST_PLUGIN_REMOVED = 3   /* its file went away; open sessions go on */
} berth_host_plugin_state;

/* What the last scan found: one report per candidate file, in search order. */
BERTH_HOST_API berth_host_status berth_host_plugins(berth_host_t* host,
                                                    berth_host_plugin_list_t** out, char** errmsg);
BERTH_HOST_API void berth_host_plugin_list_destroy(berth_host_plugin_list_t* list);
BERTH_HOST_API size_t berth_host_plugin_list_size(const berth_host_plugin_list_t* list);
/* The fields of report i (< size). Strings are "" when unknown (a file whose descriptor could
 * not be read); they live as long as the list. */
BERTH_HOST_API const char* berth_host_plugin_list_runtime(const berth_host_plugin_list_t* list,
                                                          size_t i);
BERTH_HOST_API const char* berth_host_plugin_list_name(const berth_host_plugin_list_t* list,
                                                       size_t i);
BERTH_HOST_API const char* berth_host_plugin_list_version(const berth_host_plugin_list_t* list,
                                                          size_t i);
BERTH_HOST_API const char* berth_host_plugin_list_path(const berth_host_plugin_list_t* list,
                                                       size_t i);
/* "pipes,pty,resize,...": the capabilities the plugin declares. */
BERTH_HOST_API const char* berth_host_plugin_list_capabilities(const berth_host_plugin_list_t* list,
                                                               size_t i);
/* Its load error (rejected), or the file that shadows it; "" when loaded. */
BERTH_HOST_API const char* berth_host_plugin_list_error(const berth_host_plugin_list_t* list,
                                                        size_t i);
BERTH_HOST_API berth_host_plugin_state
berth_host_plugin_list_state(const berth_host_plugin_list_t* list, size_t i);
/* The plugin ABI it was built for, major << 16 | minor. */
BERTH_HOST_API uint32_t berth_host_plugin_list_abi(const berth_host_plugin_list_t* list, size_t i);

typedef enum berth_host_health {
    BERTH_HOST_HEALTH_UNKNOWN = 0,
    BERTH_HOST_HEALTH_HEALTHY = 1,
    BERTH_HOST_HEALTH_UNHEALTHY = 2, /* installed but not working: detail says why */
    BERTH_HOST_HEALTH_UNDETECTED = 3 /* the runtime is not installed here */
} berth_host_health;

/* Runs the health check of a loaded plugin (by runtime id or plugin name), waiting at most
 * timeout_ms (a plugin that takes longer reports unhealthy). detail: NULL or the plugin's
 * words (free with berth_host_free). BERTH_HOST_ERR_NOT_FOUND for an unknown runtime. */
BERTH_HOST_API berth_host_status berth_host_check_health(berth_host_t* host, const char* runtime,
                                                         uint32_t timeout_ms,
                                                         berth_host_health* state, char** detail,
                                                         char** errmsg);

/* ---- Sessions --------------------------------------------------------------------------- */

/* Opens a session through the plugin of `runtime` (runtime id or plugin name).
 * options_json: a JSON object of the plugin's session options (NULL: "{}"), e.g.
 * {"image":"alpine","tty":true}. argv: the command, NULL-terminated, which goes in as the
 * option "command" (NULL: none, or the one options_json gives). Options are checked against
 * the plugin's schema first: nothing runs when they are wrong. */
BERTH_HOST_API berth_host_status berth_host_session_open(berth_host_t* host, const char* runtime,
                                                         const char* options_json,
                                                         const char* const* argv,
                                                         berth_host_session_t** out, char** errmsg);
/* Closes the session if it still runs (SIGTERM, then SIGKILL after 2 s) and forgets it. */
BERTH_HOST_API void berth_host_session_destroy(berth_host_session_t* session);

/* "s-" and 12 hex digits; lives as long as the session handle. */
BERTH_HOST_API const char* berth_host_session_id(const berth_host_session_t* session);

/* To the session's stdin. BERTH_HOST_ERR_STATE once it ended or its input was closed. */
BERTH_HOST_API berth_host_status berth_host_session_write(berth_host_session_t* session,
                                                          const void* data, size_t size,
                                                          char** errmsg);
/* End of input (EOF on the command's stdin). */
BERTH_HOST_API berth_host_status berth_host_session_close_input(berth_host_session_t* session,
                                                                char** errmsg);
/* The terminal's size, for a session on a terminal (rows and cols 1 to 65535). */
BERTH_HOST_API berth_host_status berth_host_session_resize(berth_host_session_t* session,
                                                           uint16_t rows, uint16_t cols,
                                                           char** errmsg);
/* Sends signal signo (SIGINT, SIGTERM, ...) to the session's command. */
BERTH_HOST_API berth_host_status berth_host_session_signal(berth_host_session_t* session, int signo,
                                                           char** errmsg);
/* Ends the session: SIGTERM, SIGKILL after grace_ms, runtime cleanup; its state becomes
 * closed (or keeps how it had ended). The handle stays valid: output and state can still be
 * read. */
BERTH_HOST_API berth_host_status berth_host_session_close(berth_host_session_t* session,
                                                          uint32_t grace_ms, char** errmsg);

/* Reads output (stdout, stderr and terminal output merged, in order) from the absolute offset
 * `cursor` (0: the start) into buf, at most capacity bytes. timeout_ms > 0: waits that long at
 * most for output at the cursor (returns at once when some is there or the session has ended);
 * 0: does not wait. *size: the bytes read (0 on a timeout or at the end); *next_cursor: the
 * cursor to read on from; *dropped: bytes between the cursor and the oldest one still kept,
 * which are lost (the buffer's capacity was exceeded). Any of the three may be NULL. */
BERTH_HOST_API berth_host_status berth_host_session_read(berth_host_session_t* session,
                                                         uint64_t cursor, void* buf,
                                                         size_t capacity, uint32_t timeout_ms,
                                                         size_t* size, uint64_t* next_cursor,
                                                         uint64_t* dropped, char** errmsg);

typedef enum berth_host_wait_outcome {
    BERTH_HOST_WAIT_MATCHED = 0,
    BERTH_HOST_WAIT_TIMEOUT = 1, /* no match within the timeout; the session still runs */
    BERTH_HOST_WAIT_ENDED = 2    /* the session ended and its output holds no match */
} berth_host_wait_outcome;

/* Waits at most timeout_ms for the output from `cursor` on to match `pattern` (RE2 syntax;
 * linear time, across chunk boundaries). *outcome says what happened; *match (NULL or free
 * with berth_host_free) gets the matched text; *next_cursor: one past the match, or how far
 * the output was searched. BERTH_HOST_ERR_INVALID_ARGUMENT for a pattern RE2 rejects. */
BERTH_HOST_API berth_host_status berth_host_session_wait_for(
    berth_host_session_t* session, const char* pattern, uint64_t cursor, uint32_t timeout_ms,
    berth_host_wait_outcome* outcome, char** match, uint64_t* next_cursor, char** errmsg);

/* Waits at most timeout_ms for the session to end: BERTH_HOST_OK once it has,
 * BERTH_HOST_ERR_TIMEOUT otherwise. */
BERTH_HOST_API berth_host_status berth_host_session_wait_exit(berth_host_session_t* session,
                                                              uint32_t timeout_ms, char** errmsg);

typedef enum berth_host_session_state {
    BERTH_HOST_SESSION_STARTING = 0,
    BERTH_HOST_SESSION_RUNNING = 1,
    BERTH_HOST_SESSION_EXITED = 2, /* the command ended by itself: exit code or signal */
    BERTH_HOST_SESSION_FAILED = 3, /* the session failed as a whole: reason says why */
    BERTH_HOST_SESSION_CLOSED = 4, /* someone closed it */
    BERTH_HOST_SESSION_LOST = 5
} berth_host_session_state;

/* The session's state and, once it ended, how: *exit_code is the command's exit code, or -1
 * when it did not exit by itself; *term_signal the signal that ended it, or 0; *reason (NULL
 * or free with berth_host_free) why it failed or was closed, or what killed it ("" while it
 * runs). Any out parameter may be NULL. */
BERTH_HOST_API berth_host_status berth_host_session_status(berth_host_session_t* session,
                                                           berth_host_session_state* state,
                                                           int* exit_code, int* term_signal,
                                                           char** reason, char** errmsg);

#ifdef __cplusplus
}
#endif

#endif /* BERTH_HOST_H */
