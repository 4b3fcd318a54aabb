#!/usr/bin/env bash
# Exec round trip of the containerd plugin: `berth run containerd --container C -- true` against
# the bare `ctr task exec --exec-id X C true`, whole processes under hyperfine, on the private
# containerd of scripts/setup-runtimes.sh. Sets up its own container (ctr run -d) and removes it,
# with its task and snapshot, on exit.
# Prints one markdown row: both medians, the ratio berth/bare and the added time against the
# target (< 5 % added).
# Usage: bench/containerd_roundtrip.sh [BUILD_DIR] [RUNS]   (defaults: ./build, 200)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_init containerd_roundtrip 200 containerd ctr -- "$@"

# Both sides name the daemon the same way: ctr flags for the bare call, --opt for berth (which
# passes them on to ctr, with the same 2 s connect timeout).
address=$BERTH_CONTAINERD_ADDRESS
ns=$BERTH_CONTAINERD_NAMESPACE
ctr=(ctr --connect-timeout 2s -a "$address" -n "$ns")
container=$(bench_container_name)
cleanup() {
    timeout -k 2 30 "${ctr[@]}" task delete -f "$container" </dev/null >/dev/null 2>&1 || true
    timeout -k 2 30 "${ctr[@]}" container rm "$container" </dev/null >/dev/null 2>&1 || true
}
trap cleanup EXIT

timeout -k 5 60 "${ctr[@]}" run -d --null-io "$BERTH_TEST_IMAGE" "$container" sleep 2147483647 \
    </dev/null >/dev/null

# One run at a time, so the bare side can reuse its exec id (ctr deletes the process at the end).
bench_compare "containerd exec round trip" 5 20 \
    "ctr --connect-timeout 2s -a $address -n $ns task exec --exec-id berth-bench-bare $container true" \
    "$berth run containerd --container $container --opt address=$address --opt namespace=$ns -- true"
