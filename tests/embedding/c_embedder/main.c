/* Embeds the installed host through its C API: a `local` session that prints and exits 3,
 * read by cursor and waited on by pattern, then one ended by SIGTERM. Exits 0 when all is as
 * expected, 1 with the reason on stderr otherwise. */
#include <berth/host.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(const char* what, berth_host_status status, char* message) {
    fprintf(stderr, "c_embedder: %s: status %d: %s\n", what, (int)status,
            message != NULL ? message : "(no message)");
    berth_host_free(message);
    return 1;
}

/* Everything the session printed, read by cursor until it ends. */
static int read_all(berth_host_session_t* session, char* out, size_t size) {
    uint64_t cursor = 0;
    size_t used = 0;
    for (int i = 0; i < 100; ++i) {
        char buf[256];
        size_t n = 0;
        uint64_t next = 0, dropped = 0;
        char* err = NULL;
        berth_host_status s = berth_host_session_read(session, cursor, buf, sizeof buf, 100, &n,
                                                      &next, &dropped, &err);
        if (s != BERTH_HOST_OK) return failed("read", s, err);
        if (used + n >= size) return failed("read", BERTH_HOST_ERR_INTERNAL, NULL);
        memcpy(out + used, buf, n);
        used += n;
        cursor = next;
        if (n == 0 && berth_host_session_wait_exit(session, 0, NULL) == BERTH_HOST_OK) break;
    }
    out[used] = '\0';
    return 0;
}

int main(void) {
    char* err = NULL;
    berth_host_t* host = NULL;
    berth_host_status s = berth_host_create(NULL, &host, &err);
    if (s != BERTH_HOST_OK) return failed("create", s, err);

    const char* argv[] = {"sh", "-c", "echo hi; echo ready; exit 3", NULL};
    berth_host_session_t* session = NULL;
    s = berth_host_session_open(host, "local", NULL, argv, &session, &err);
    if (s != BERTH_HOST_OK) return failed("open", s, err);

    berth_host_wait_outcome outcome;
    char* match = NULL;
    uint64_t after = 0;
    s = berth_host_session_wait_for(session, "rea.y", 0, 10000, &outcome, &match, &after, &err);
    if (s != BERTH_HOST_OK) return failed("wait_for", s, err);
    if (outcome != BERTH_HOST_WAIT_MATCHED || strcmp(match, "ready") != 0 || after != 8) {
        fprintf(stderr, "c_embedder: wait_for: outcome %d, match '%s', next %llu\n", (int)outcome,
                match != NULL ? match : "", (unsigned long long)after);
        return 1;
    }
    berth_host_free(match);

    char out[1024];
    if (read_all(session, out, sizeof out) != 0) return 1;
    s = berth_host_session_wait_exit(session, 10000, &err);
    if (s != BERTH_HOST_OK) return failed("wait_exit", s, err);
    int code = 0, sig = 0;
    s = berth_host_session_status(session, NULL, &code, &sig, NULL, &err);
    if (s != BERTH_HOST_OK) return failed("status", s, err);
    if (strcmp(out, "hi\nready\n") != 0 || code != 3 || sig != 0) {
        fprintf(stderr, "c_embedder: got '%s', exit code %d, signal %d\n", out, code, sig);
        return 1;
    }
    berth_host_session_destroy(session);

    const char* sleeper[] = {"sleep", "30", NULL};
    s = berth_host_session_open(host, "local", NULL, sleeper, &session, &err);
    if (s != BERTH_HOST_OK) return failed("open sleep", s, err);
    s = berth_host_session_signal(session, SIGTERM, &err);
    if (s != BERTH_HOST_OK) return failed("signal", s, err);
    s = berth_host_session_wait_exit(session, 10000, &err);
    if (s != BERTH_HOST_OK) return failed("wait_exit after SIGTERM", s, err);
    s = berth_host_session_status(session, NULL, &code, &sig, NULL, &err);
    if (s != BERTH_HOST_OK) return failed("status after SIGTERM", s, err);
    if (code != -1 || sig != SIGTERM) {
        fprintf(stderr, "c_embedder: after SIGTERM: exit code %d, signal %d\n", code, sig);
        return 1;
    }
    berth_host_session_destroy(session);
    berth_host_destroy(host);
    printf("c_embedder: ok\n");
    return 0;
}
