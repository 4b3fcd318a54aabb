#!/usr/bin/env bash
# Exec round trip of the containerd plugin: `berth run containerd --container C -- true` against
# the bare `ctr task exec --exec-id X C true`, whole processes under hyperfine, on the private
# containerd of scripts/setup-runtimes.sh. Sets up its own container (ctr run -d) and removes it,
# with its task and snapshot, on exit.
# Prints one markdown row: both medians, the ratio berth/bare and the added time against the
# target (< 5 % added).
# Usage: bench/containerd_roundtrip.sh [BUILD_DIR] [RUNS]   (defaults: ./build, 200)
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
runs=${2:-200}
berth=$build/bin/berth
scripts_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../scripts" && pwd)
# shellcheck source-path=SCRIPTDIR source=../scripts/runtime-env.sh
source "$scripts_dir/runtime-env.sh"

for tool in hyperfine jq ctr; do
    command -v "$tool" >/dev/null || { echo "containerd_roundtrip: $tool is not installed" >&2; exit 1; }
done
[[ -x $berth ]] || { echo "containerd_roundtrip: $berth is not built" >&2; exit 1; }
[[ -f $build/lib/berth/plugins/containerd.so ]] || {
    echo "containerd_roundtrip: the containerd plugin is not built in $build" >&2
    exit 1
}

# Both sides name the daemon the same way: ctr flags for the bare call, --opt for berth (which
# passes them on to ctr, with the same 2 s connect timeout).
address=$BERTH_CONTAINERD_ADDRESS
ns=$BERTH_CONTAINERD_NAMESPACE
ctr=(ctr --connect-timeout 2s -a "$address" -n "$ns")
container=berth-bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
json=$(mktemp)
cleanup() {
    timeout -k 2 30 "${ctr[@]}" task delete -f "$container" </dev/null >/dev/null 2>&1 || true
    timeout -k 2 30 "${ctr[@]}" container rm "$container" </dev/null >/dev/null 2>&1 || true
    rm -f "$json"
}
trap cleanup EXIT

timeout -k 5 60 "${ctr[@]}" run -d --null-io "$BERTH_TEST_IMAGE" "$container" sleep 2147483647 \
    </dev/null >/dev/null

# One run at a time, so the bare side can reuse its exec id (ctr deletes the process at the end).
hyperfine -N --warmup 20 --runs "$runs" --export-json "$json" \
    "ctr --connect-timeout 2s -a $address -n $ns task exec --exec-id berth-bench-bare $container true" \
    "$berth run containerd --container $container --opt address=$address --opt namespace=$ns -- true" >&2

read -r bare berth_s < <(jq -r '[.results[0].median, .results[1].median] | @tsv' "$json")
awk -v bare="$bare" -v berth="$berth_s" -v runs="$runs" 'BEGIN {
    ratio = berth / bare
    added = (ratio - 1) * 100
    verdict = added < 5 ? "meets" : "misses"
    printf "| containerd exec round trip (`true`, hyperfine -N, median of %d) | %.2f ms | %.2f ms | %.2f | %+.1f %% (%+.2f ms): %s the < 5 %% target |\n",
        runs, bare * 1000, berth * 1000, ratio, added, (berth - bare) * 1000, verdict
}'
