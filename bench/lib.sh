# shellcheck shell=bash
# Shared by bench/<runtime>_roundtrip.sh: argument handling, tool checks, and the hyperfine run
# that compares a bare runtime command with the same work through `berth run`.
# Source it; it sets `build`, `runs` and `berth` from the script's arguments.

# bench_init NAME DEFAULT_RUNS PLUGIN TOOL... -- BUILD_DIR RUNS
#   NAME prefixes every message; PLUGIN is the plugin file (without .so) that must be built.
bench_init() {
    bench_name=$1 default_runs=$2 plugin=$3
    shift 3
    local tools=()
    while (($# > 0)) && [[ $1 != -- ]]; do
        tools+=("$1")
        shift
    done
    [[ ${1:-} == -- ]] && shift
    build=$(cd "${1:-build}" && pwd)
    runs=${2:-$default_runs}
    berth=$build/bin/berth
    local scripts_dir
    scripts_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../scripts" && pwd)
    # shellcheck source-path=SCRIPTDIR source=../scripts/runtime-env.sh
    source "$scripts_dir/runtime-env.sh"
    local tool
    for tool in hyperfine jq "${tools[@]}"; do
        command -v "$tool" >/dev/null || bench_fail "$tool is not installed"
    done
    [[ -x $berth ]] || bench_fail "$berth is not built"
    [[ -f $build/lib/berth/plugins/$plugin.so ]] ||
        bench_fail "the $plugin plugin is not built in $build"
    bench_json=$(mktemp)
}

bench_fail() {
    echo "$bench_name: $*" >&2
    exit 1
}

# A container name no earlier run can have left: berth-bench-<12 hex>.
bench_container_name() {
    echo "berth-bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
}

# bench_compare LABEL TARGET_PERCENT WARMUP BARE_COMMAND BERTH_COMMAND
#   Runs both under `hyperfine -N` (no shell; stdin from /dev/null for both) and prints one
#   markdown row: both medians, the ratio berth/bare, and the added time against the target.
bench_compare() {
    local label=$1 target=$2 warmup=$3 bare_cmd=$4 berth_cmd=$5
    hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$bench_json" \
        "$bare_cmd" "$berth_cmd" >&2
    local bare berth_s
    read -r bare berth_s < <(jq -r '[.results[0].median, .results[1].median] | @tsv' "$bench_json")
    rm -f "$bench_json"
    awk -v bare="$bare" -v berth="$berth_s" -v runs="$runs" -v label="$label" -v target="$target" '
    BEGIN {
        ratio = berth / bare
        added = (ratio - 1) * 100
        verdict = added < target ? "meets" : "misses"
        printf "| %s (`true`, hyperfine -N, median of %d) | %.2f ms | %.2f ms | %.2f | %+.1f %% (%+.2f ms): %s the < %d %% target |\n",
            label, runs, bare * 1000, berth * 1000, ratio, added, (berth - bare) * 1000, verdict, target
    }'
}
