#!/usr/bin/env bash
# Attach round trip of the lxc plugin: `berth run lxc --container C -- true` against the bare
# `lxc-attach -n C -- true`, whole processes under hyperfine. Sets up its own container (an
# ephemeral copy of the template, gone when stopped) and removes it on exit.
# Prints one markdown row: both medians, the ratio berth/bare and the added time against the
# target (< 10 % added).
# Usage: bench/lxc_roundtrip.sh [BUILD_DIR] [RUNS]   (defaults: ./build, 300)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_init lxc_roundtrip 300 lxc lxc-copy lxc-attach -- "$@"

container=$(bench_container_name)
cleanup() {
    timeout -k 2 30 lxc-stop -k -n "$container" </dev/null >/dev/null 2>&1 || true
    if timeout -k 2 10 lxc-info -n "$container" -s </dev/null >/dev/null 2>&1; then
        timeout -k 2 30 lxc-destroy -f -n "$container" </dev/null >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

timeout -k 5 60 lxc-copy -e -B overlayfs -n "$BERTH_LXC_TEMPLATE" -N "$container" </dev/null >/dev/null
timeout -k 5 20 lxc-wait -n "$container" -s RUNNING -t 10 </dev/null

bench_compare "lxc attach round trip" 10 30 \
    "lxc-attach -n $container -- true" \
    "$berth run lxc --container $container -- true"
