#!/usr/bin/env bash
# Exec round trip of the podman plugin: `berth run podman --container C -- true` against the
# bare `podman exec C true`, whole processes under hyperfine. Sets up its own container and
# force-removes it on exit.
# Prints one markdown row: both medians, the ratio berth/bare and the added time against the
# target (< 5 % added).
# Usage: bench/podman_roundtrip.sh [BUILD_DIR] [RUNS]   (defaults: ./build, 100)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_init podman_roundtrip 100 podman podman -- "$@"

container=$(bench_container_name)
cleanup() {
    timeout -k 2 30 podman rm --force --ignore --time=0 "$container" </dev/null >/dev/null 2>&1 || true
}
trap cleanup EXIT

timeout -k 5 60 podman run -d --pull=never --name="$container" "$BERTH_TEST_IMAGE" sleep 100000 \
    </dev/null >/dev/null

# Both sides get stdin from /dev/null, so both exec with -i closed at once.
bench_compare "podman exec round trip" 5 10 \
    "podman exec $container true" \
    "$berth run podman --container $container -- true"
