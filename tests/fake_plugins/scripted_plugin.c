/* A fake plugin in plain C whose sessions do what their command names, so the host and the CLI
 * can be tested on exactly what a plugin reports, with no process behind it:
 *   - "no-such-program": session_open fails with BERTH_ERR_COMMAND_NOT_FOUND,
 *   - "not-a-program": with BERTH_ERR_COMMAND_NOT_EXECUTABLE,
 *     each with a message that words it in its own way (nothing like "command not found"):
 *     front ends must decide by the status, never by the words;
 *   - anything else: the session opens and runs until it is closed (SIGTERM: term_signal 15).
 * session_info (ABI 1.2) reports the target "scripted-box-1", whatever the options say, and a
 * terminal when the options ask for "tty":true. SCRIPTED_ABI_1_1 builds the same plugin for
 * ABI 1.1: its function table ends before session_info, and the slot it does not have fails
 * loudly if a host calls it anyway. */
#include <berth/plugin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifndef SCRIPTED_RUNTIME
#define SCRIPTED_RUNTIME "scripted"
#endif

struct berth_plugin {
    int unused;
};
struct berth_session {
    berth_session_sink sink;
    uint8_t tty;
    int ended;
};

static struct berth_plugin g_instance;
static const char* g_last_error = "";

static berth_status scripted_create(const berth_host_services* host, berth_plugin** out) {
    (void)host;
    *out = &g_instance;
    return BERTH_OK;
}
static void scripted_destroy(berth_plugin* p) { (void)p; }
static const char* scripted_last_error(berth_plugin* p) {
    (void)p;
    return g_last_error;
}
static berth_status scripted_health(berth_plugin* p, const berth_health_sink* sink) {
    (void)p;
    sink->set_state(sink->ctx, BERTH_HEALTH_HEALTHY, "scripted is always fine");
    return BERTH_OK;
}
static const char* scripted_schema(berth_plugin* p) {
    (void)p;
    return "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"command\"],"
           "\"properties\":{\"command\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
           "\"tty\":{\"type\":\"boolean\"},\"container\":{\"type\":\"string\"}}}";
}

/* The host validated the options against the schema above; a substring test is enough. */
static int names(const char* options, const char* word) { return strstr(options, word) != NULL; }

static berth_status scripted_open(berth_plugin* p, const char* options,
                                  const berth_session_sink* sink, berth_session** out) {
    (void)p;
    if (names(options, "\"no-such-program\"")) {
        g_last_error = "scripted: nothing answers to that name here";
        return BERTH_ERR_COMMAND_NOT_FOUND;
    }
    if (names(options, "\"not-a-program\"")) {
        g_last_error = "scripted: that file will not run";
        return BERTH_ERR_COMMAND_NOT_EXECUTABLE;
    }
    berth_session* s = calloc(1, sizeof *s);
    if (s == NULL) {
        g_last_error = "out of memory";
        return BERTH_ERR_INTERNAL;
    }
    memcpy(&s->sink, sink, sink->struct_size < sizeof s->sink ? sink->struct_size : sizeof s->sink);
    s->tty = names(options, "\"tty\":true") ? 1 : 0;
    *out = s;
    return BERTH_OK;
}
static berth_status scripted_write(berth_session* s, const uint8_t* d, uint32_t n) {
    (void)s;
    (void)d;
    (void)n;
    return BERTH_OK;
}
static void end_session(berth_session* s) {
    if (s->ended) return;
    s->ended = 1;
    berth_exit_status status = {sizeof status, -1, 15, 0, NULL};
    s->sink.on_exit(s->sink.ctx, &status);
}
static berth_status scripted_close(berth_session* s, uint32_t grace) {
    (void)grace;
    end_session(s);
    return BERTH_OK;
}
static void scripted_session_destroy(berth_session* s) {
    end_session(s);
    free(s);
}
static berth_status scripted_resize(berth_session* s, uint16_t rows, uint16_t cols) {
    (void)rows;
    (void)cols;
    if (!s->tty) {
        g_last_error = "scripted: no terminal to resize";
        return BERTH_ERR_STATE;
    }
    return BERTH_OK;
}
static berth_status scripted_info(berth_session* s, berth_session_info* info) {
#ifdef SCRIPTED_ABI_1_1
    (void)s;
    (void)info;
    g_last_error = "host called session_info past the table's struct_size";
    return BERTH_ERR_INTERNAL;
#else
    if (info->struct_size >= offsetof(berth_session_info, target) + sizeof info->target)
        info->target = "scripted-box-1";
    if (info->struct_size >= offsetof(berth_session_info, tty) + sizeof info->tty)
        info->tty = s->tty;
    return BERTH_OK;
#endif
}

static const berth_plugin_api g_api = {
#ifdef SCRIPTED_ABI_1_1
    (uint32_t)(offsetof(berth_plugin_api, session_info)),
#else
    sizeof(berth_plugin_api),
#endif
    scripted_create,
    scripted_destroy,
    scripted_last_error,
    scripted_health,
    scripted_schema,
    scripted_open,
    scripted_write,
    NULL, /* session_close_stdin */
    scripted_resize,
    NULL, /* session_signal */
    scripted_close,
    scripted_session_destroy,
    NULL, /* session_pid */
    NULL, /* reclaim_owned */
    scripted_info,
};

static const berth_plugin_descriptor g_descriptor = {
    sizeof(berth_plugin_descriptor),
    BERTH_ABI_VERSION_MAJOR,
#ifdef SCRIPTED_ABI_1_1
    1,
#else
    BERTH_ABI_VERSION_MINOR,
#endif
    "berth-" SCRIPTED_RUNTIME,
    SCRIPTED_RUNTIME,
    "0.0.1",
    "A fake plugin whose sessions do what their command names",
    BERTH_CAP_PIPES | BERTH_CAP_PTY | BERTH_CAP_RESIZE,
    &g_api,
};

BERTH_PLUGIN_EXPORT const berth_plugin_descriptor* BERTH_PLUGIN_ENTRY(uint16_t host_major,
                                                                      uint16_t host_minor) {
    (void)host_major;
    (void)host_minor;
    return &g_descriptor;
}
