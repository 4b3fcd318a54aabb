#!/usr/bin/env bash
# Exec round trip of the podman plugin: `berth run podman --container C -- true` against the
# bare `podman exec C true`, whole processes under hyperfine. Sets up its own container and
# force-removes it on exit.
# Prints one markdown row: both medians, the ratio berth/bare and the added time against the
# target (< 5 % added).
# Usage: bench/podman_roundtrip.sh [BUILD_DIR] [RUNS]   (defaults: ./build, 100)
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
runs=${2:-100}
berth=$build/bin/berth
scripts_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../scripts" && pwd)
# shellcheck source=../scripts/runtime-env.sh
source "$scripts_dir/runtime-env.sh"

for tool in hyperfine jq podman; do
    command -v "$tool" >/dev/null || { echo "podman_roundtrip: $tool is not installed" >&2; exit 1; }
done
[[ -x $berth ]] || { echo "podman_roundtrip: $berth is not built" >&2; exit 1; }
[[ -f $build/lib/berth/plugins/podman.so ]] || {
    echo "podman_roundtrip: the podman plugin is not built in $build" >&2
    exit 1
}

container=berth-bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
json=$(mktemp)
cleanup() {
    timeout -k 2 30 podman rm --force --ignore --time=0 "$container" </dev/null >/dev/null 2>&1 || true
    rm -f "$json"
}
trap cleanup EXIT

timeout -k 5 60 podman run -d --pull=never --name="$container" "$BERTH_TEST_IMAGE" sleep 100000 \
    </dev/null >/dev/null

# Both sides get stdin from /dev/null (hyperfine's default), so both exec with -i closed at once.
hyperfine -N --warmup 10 --runs "$runs" --export-json "$json" \
    "podman exec $container true" \
    "$berth run podman --container $container -- true" >&2

read -r bare berth_s < <(jq -r '[.results[0].median, .results[1].median] | @tsv' "$json")
awk -v bare="$bare" -v berth="$berth_s" -v runs="$runs" 'BEGIN {
    ratio = berth / bare
    added = (ratio - 1) * 100
    verdict = added < 5 ? "meets" : "misses"
    printf "| podman exec round trip (`true`, hyperfine -N, median of %d) | %.2f ms | %.2f ms | %.2f | %+.1f %% (%+.2f ms): %s the < 5 %% target |\n",
        runs, bare * 1000, berth * 1000, ratio, added, (berth - bare) * 1000, verdict
}'
