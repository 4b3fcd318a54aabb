#!/usr/bin/env bash
# Attach round trip of the lxc plugin: `berth run lxc --container C -- true` against the bare
# `lxc-attach -n C -- true`, whole processes under hyperfine. Sets up its own container (an
# ephemeral copy of the template, gone when stopped) and removes it on exit.
# Prints one markdown row: both medians, the ratio berth/bare and the added time against the
# target (< 10 % added).
# Usage: bench/lxc_roundtrip.sh [BUILD_DIR] [RUNS]   (defaults: ./build, 300)
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
runs=${2:-300}
berth=$build/bin/berth
scripts_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../scripts" && pwd)
# shellcheck source=scripts/runtime-env.sh
source "$scripts_dir/runtime-env.sh"

for tool in hyperfine jq lxc-copy lxc-attach; do
    command -v "$tool" >/dev/null || { echo "lxc_roundtrip: $tool is not installed" >&2; exit 1; }
done
[[ -x $berth ]] || { echo "lxc_roundtrip: $berth is not built" >&2; exit 1; }
[[ -f $build/lib/berth/plugins/lxc.so ]] || {
    echo "lxc_roundtrip: the lxc plugin is not built in $build" >&2
    exit 1
}

container=berth-bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
json=$(mktemp)
cleanup() {
    timeout -k 2 30 lxc-stop -k -n "$container" </dev/null >/dev/null 2>&1 || true
    if timeout -k 2 10 lxc-info -n "$container" -s </dev/null >/dev/null 2>&1; then
        timeout -k 2 30 lxc-destroy -f -n "$container" </dev/null >/dev/null 2>&1 || true
    fi
    rm -f "$json"
}
trap cleanup EXIT

timeout -k 5 60 lxc-copy -e -B overlayfs -n "$BERTH_LXC_TEMPLATE" -N "$container" </dev/null >/dev/null
timeout -k 5 20 lxc-wait -n "$container" -s RUNNING -t 10 </dev/null

hyperfine -N --warmup 30 --runs "$runs" --export-json "$json" \
    "lxc-attach -n $container -- true" \
    "$berth run lxc --container $container -- true" >&2

read -r bare berth_s < <(jq -r '[.results[0].median, .results[1].median] | @tsv' "$json")
awk -v bare="$bare" -v berth="$berth_s" -v runs="$runs" 'BEGIN {
    ratio = berth / bare
    added = (ratio - 1) * 100
    verdict = added < 10 ? "meets" : "misses"
    printf "| lxc attach round trip (`true`, hyperfine -N, median of %d) | %.2f ms | %.2f ms | %.2f | +%.1f %% (+%.2f ms): %s the < 10 %% target |\n",
        runs, bare * 1000, berth * 1000, ratio, added, (berth - bare) * 1000, verdict
}'
