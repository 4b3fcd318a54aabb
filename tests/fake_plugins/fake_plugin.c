/* A fake berth plugin in plain C, built once per defect (FAKE_VARIANT), so each loader test
 * gets a shared object that differs from a good one in exactly one way. Compiling it also
 * proves berth/plugin.h is valid C11. */
#include <berth/plugin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAKE_GOOD 0
#define FAKE_MAJOR_MISMATCH 1
#define FAKE_NEWER_MINOR 2
#define FAKE_DESCRIPTOR_TOO_SMALL 3
#define FAKE_CAP_WITHOUT_FUNCTION 4
#define FAKE_CREATE_FAILS 5
#define FAKE_NO_ENTRY 6
#define FAKE_BAD_RUNTIME_ID 7
#define FAKE_NO_DESCRIPTOR 8
#define FAKE_MISSING_REQUIRED 9
#define FAKE_ABI_1_0 10        /* built against ABI 1.0: no reclaim_owned slot in its table */
#define FAKE_RECLAIMS 11       /* ABI 1.1 reclaim_owned: reports what the owner token asks for */
#define FAKE_ABORTS 12         /* dies (abort, as a failed assert would) in its entry function */
#define FAKE_HANGS 13          /* never returns from its entry function */
#define FAKE_HEALTH_HANGS 14   /* health_check never returns */
#define FAKE_CREATE_CRASHES 15 /* create() dies on a trap instruction (SIGILL) */
#define FAKE_BAD_SCHEMA 16     /* an options schema with a type no value can have */
#define FAKE_UNHEALTHY 17      /* an honest UNHEALTHY report: a runtime state, not a defect */
#define FAKE_INIT_HANGS 18     /* a constructor that never returns: dlopen hangs */

#ifndef FAKE_VARIANT
#error "FAKE_VARIANT must be defined"
#endif
#ifndef FAKE_RUNTIME
#define FAKE_RUNTIME "fake"
#endif

struct berth_plugin {
    int unused;
};
static struct berth_plugin g_instance;
static const char* g_last_error = "";

/* The host's owner token (ABI 1.1), read only when the host's struct is new enough. */
static char g_owner[64];

static berth_status fake_create(const berth_host_services* host, berth_plugin** out) {
    g_owner[0] = '\0';
    if (host->struct_size >= offsetof(berth_host_services, owner) + sizeof host->owner &&
        host->owner != NULL)
        strncpy(g_owner, host->owner, sizeof g_owner - 1);
    /* A trap, not a NULL write: under ASan the probe's SIGSEGV would become ASan's report and
     * an abort (SIGABRT), while ASan leaves SIGILL alone, so every build sees the same crash. */
    if (FAKE_VARIANT == FAKE_CREATE_CRASHES) __builtin_trap();
    if (FAKE_VARIANT == FAKE_CREATE_FAILS) {
        g_last_error = "fake runtime daemon is not running at /run/fake.sock";
        return BERTH_ERR_UNAVAILABLE;
    }
    *out = &g_instance;
    return BERTH_OK;
}
static void fake_destroy(berth_plugin* p) { (void)p; }
static const char* fake_last_error(berth_plugin* p) {
    (void)p;
    return g_last_error;
}
static berth_status fake_health(berth_plugin* p, const berth_health_sink* sink) {
    (void)p;
    if (FAKE_VARIANT == FAKE_HEALTH_HANGS)
        for (;;) pause();
    if (FAKE_VARIANT == FAKE_UNHEALTHY) {
        sink->set_state(sink->ctx, BERTH_HEALTH_UNHEALTHY,
                        "fake runtime daemon is not running at /run/fake.sock");
        return BERTH_OK;
    }
    sink->set_state(sink->ctx, BERTH_HEALTH_HEALTHY, "fake is always fine");
    sink->add_attribute(sink->ctx, "version", "0.0.1");
    return BERTH_OK;
}
static const char* fake_schema(berth_plugin* p) {
    (void)p;
    if (FAKE_VARIANT == FAKE_BAD_SCHEMA)
        return "{\"type\":\"object\",\"properties\":{\"rows\":{\"type\":\"int\"}}}";
    return "{\"type\":\"object\",\"additionalProperties\":false,"
           "\"properties\":{\"command\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}";
}
static berth_status fake_open(berth_plugin* p, const char* options, const berth_session_sink* sink,
                              berth_session** out) {
    (void)p;
    (void)options;
    (void)sink;
    (void)out;
    g_last_error = "the fake plugin does not run sessions";
    return BERTH_ERR_UNSUPPORTED;
}
static berth_status fake_write(berth_session* s, const uint8_t* d, uint32_t n) {
    (void)s;
    (void)d;
    (void)n;
    return BERTH_ERR_STATE;
}
static berth_status fake_close(berth_session* s, uint32_t grace) {
    (void)s;
    (void)grace;
    return BERTH_OK;
}
static void fake_session_destroy(berth_session* s) { (void)s; }
static berth_status fake_signal(berth_session* s, int32_t signo) {
    (void)s;
    (void)signo;
    return BERTH_ERR_STATE;
}

#if FAKE_VARIANT == FAKE_RECLAIMS || FAKE_VARIANT == FAKE_ABI_1_0
/* Answers by owner token, so a test can see the token arrived: "reclaim-two" removes 2,
 * "reclaim-fails" removes 1 and then fails; anything else removes nothing. In the ABI 1.0
 * variant the slot lies past the table's struct_size: a host that called it anyway would see
 * the failure below. */
static berth_status fake_reclaim(berth_plugin* p, uint32_t* removed) {
    (void)p;
    if (FAKE_VARIANT == FAKE_ABI_1_0) {
        g_last_error = "host read reclaim_owned past the table's struct_size";
        return BERTH_ERR_INTERNAL;
    }
    if (strcmp(g_owner, "reclaim-two") == 0) {
        *removed = 2;
        return BERTH_OK;
    }
    if (strcmp(g_owner, "reclaim-fails") == 0) {
        *removed = 1;
        g_last_error = "could not remove container fake-2: device busy";
        return BERTH_ERR_RUNTIME;
    }
    *removed = 0;
    return BERTH_OK;
}
#endif

static const berth_plugin_api g_api = {
#if FAKE_VARIANT == FAKE_ABI_1_0
    (uint32_t)(offsetof(berth_plugin_api, reclaim_owned)),
#else
    sizeof(berth_plugin_api),
#endif
    fake_create,
    fake_destroy,
    fake_last_error,
    fake_health,
    fake_schema,
#if FAKE_VARIANT == FAKE_MISSING_REQUIRED
    NULL, /* session_open */
#else
    fake_open,
#endif
    fake_write,
    NULL, /* session_close_stdin */
    NULL, /* session_resize: FAKE_CAP_WITHOUT_FUNCTION claims it anyway */
    fake_signal,
    fake_close,
    fake_session_destroy,
    NULL, /* session_pid */
#if FAKE_VARIANT == FAKE_RECLAIMS || FAKE_VARIANT == FAKE_ABI_1_0
    fake_reclaim,
#else
    NULL, /* reclaim_owned */
#endif
    NULL, /* session_info */
};

static const berth_plugin_descriptor g_descriptor = {
#if FAKE_VARIANT == FAKE_DESCRIPTOR_TOO_SMALL
    (uint32_t)(offsetof(berth_plugin_descriptor, capabilities)),
#else
    sizeof(berth_plugin_descriptor),
#endif
#if FAKE_VARIANT == FAKE_MAJOR_MISMATCH
    BERTH_ABI_VERSION_MAJOR + 1,
#else
    BERTH_ABI_VERSION_MAJOR,
#endif
#if FAKE_VARIANT == FAKE_NEWER_MINOR
    BERTH_ABI_VERSION_MINOR + 5,
#elif FAKE_VARIANT == FAKE_ABI_1_0
    0,
#else
    BERTH_ABI_VERSION_MINOR,
#endif
    "berth-fake",
#if FAKE_VARIANT == FAKE_BAD_RUNTIME_ID
    "Fake Runtime!",
#else
    FAKE_RUNTIME,
#endif
    "0.0.1",
    "A fake plugin for loader tests",
#if FAKE_VARIANT == FAKE_CAP_WITHOUT_FUNCTION
    BERTH_CAP_PIPES | BERTH_CAP_SIGNAL | BERTH_CAP_RESIZE,
#else
    BERTH_CAP_PIPES | BERTH_CAP_SIGNAL,
#endif
    &g_api,
};

#if FAKE_VARIANT == FAKE_INIT_HANGS
__attribute__((constructor)) static void fake_init_hangs(void) {
    for (;;) pause();
}
#endif

#if FAKE_VARIANT == FAKE_NO_ENTRY
/* Exports something, just not the entry symbol. */
BERTH_PLUGIN_EXPORT int berth_fake_not_an_entry(void) { return 42; }
#else
BERTH_PLUGIN_EXPORT const berth_plugin_descriptor* BERTH_PLUGIN_ENTRY(uint16_t host_major,
                                                                      uint16_t host_minor) {
    (void)host_major;
    (void)host_minor;
    if (FAKE_VARIANT == FAKE_NO_DESCRIPTOR) return NULL;
    if (FAKE_VARIANT == FAKE_ABORTS) abort();
    if (FAKE_VARIANT == FAKE_HANGS)
        for (;;) pause();
    return &g_descriptor;
}
#endif
