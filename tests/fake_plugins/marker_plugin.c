/* The good fake plugin under runtime id "marker", plus a constructor that leaves a mark: when
 * $BERTH_FAKE_MARKER names a file, loading this library (dlopen runs the constructor before
 * anything else) appends a line to it. The trust tests use it to prove a refused file was never
 * loaded, in the host or in a probe process. */
#define FAKE_VARIANT 0
#define FAKE_RUNTIME "marker"
#include "fake_plugin.c"

#include <fcntl.h>

__attribute__((constructor)) static void fake_marker_loaded(void) {
    const char* path = getenv("BERTH_FAKE_MARKER");
    if (path == NULL || path[0] == '\0') return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    static const char line[] = "loaded\n";
    ssize_t n = write(fd, line, sizeof line - 1); /* best effort: a test sees a missing mark */
    (void)n;
    close(fd);
}
