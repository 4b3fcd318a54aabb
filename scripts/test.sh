#!/usr/bin/env bash
# Installs what is missing, sets up the real runtimes (podman, containerd, LXC, the LXD and
# Incus test clusters), builds, and runs every test: the normal build (then the lxd plugin's
# tests once more against Incus), an ASan+UBSan build, a ThreadSanitizer build of the registry,
# host and daemon tests, a short pass of each fuzz target and benchmark, and the Debian packages
# (built, checked with lintian, installed, tested, purged). Under CI=true a missing runtime fails
# its tests. Each stage's time is printed at the end (the whole must stay under 35 minutes on a
# warm ccache).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

stage_times=()
stage_name=""
stage_start=$SECONDS
stage() {
    finish_stage
    stage_name=$1
    stage_start=$SECONDS
    echo "== $1"
}
finish_stage() {
    [[ -n $stage_name ]] && stage_times+=("$(printf '%6d s  %s' $((SECONDS - stage_start)) "$stage_name")")
    stage_name=""
}
print_times() {
    finish_stage
    echo "== stage times"
    printf '%s\n' "${stage_times[@]}"
    echo "$(printf '%6d s' $((SECONDS - start)))  total"
}
trap print_times EXIT

stage "setup (deps, runtimes)"
./scripts/deps.sh
./scripts/setup-runtimes.sh
./scripts/setup-lxd.sh
# shellcheck source=scripts/runtime-env.sh
source scripts/runtime-env.sh
# The runtime CLIs and berth's plugins read these; point them at the private containerd.
export CONTAINERD_ADDRESS=$BERTH_CONTAINERD_ADDRESS CONTAINERD_NAMESPACE=$BERTH_CONTAINERD_NAMESPACE

stage "format"
./scripts/check-format.sh

stage "build (RelWithDebInfo)"
./scripts/build.sh build
stage "tests"
ctest --test-dir build -j2 --output-on-failure --timeout 600
# The lxd plugin's tests once more, against Incus 6.0.4 instead of LXD 5.0.2 (about 40 s).
stage "tests (lxd plugin on Incus)"
./scripts/test-incus.sh build

stage "build (ASan+UBSan)"
BERTH_SANITIZE=address ./scripts/build.sh build-asan -- -DBERTH_BUILD_BENCH=OFF
stage "tests (ASan+UBSan)"
# detect_leaks=0 for dlopen'ed plugins' static init noise is not needed; keep leaks on.
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan -j2 --output-on-failure --timeout 900

# ThreadSanitizer: the registry, host, daemon and mcp test programs, and what they start (berthd,
# the berth CLI, the local and fake plugins, the probe: their add_dependencies). Not
# daemon_runtimes_test: podman, containerd and LXC sessions under TSan take minutes each, and
# their plugins' concurrency is the SDK's, which the local plugin already exercises.
stage "build (TSan)"
mapfile -t tsan_programs < <(sed -n 's/^berth_add_test(\([a-z0-9_]*\).*/\1/p' \
    tests/registry/CMakeLists.txt tests/host/CMakeLists.txt tests/daemon/CMakeLists.txt \
    tests/mcp/CMakeLists.txt |
    grep -vx daemon_runtimes_test)
# shellcheck source=scripts/lib/ccache-env.sh
source scripts/lib/ccache-env.sh
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_SANITIZE=thread \
    -DBERTH_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j "${BERTH_JOBS:-2}" --target "${tsan_programs[@]}"
stage "tests (TSan)"
# Only those programs' tests: their suites, as the programs list them.
suites=$(for p in "${tsan_programs[@]}"; do build-tsan/tests/"$p" --gtest_list_tests; done |
    sed -n 's/^\([A-Za-z0-9_/]*\)\.$/\1/p' | sort -u | paste -sd '|')
# Reports of every process (berthd and the CLI run as children of the tests) go to files, so
# a race in a child that its test does not notice still fails the stage.
tsan_logs=$PWD/build-tsan/tsan-reports
rm -rf "$tsan_logs" && mkdir -p "$tsan_logs"
tsan_status=0
# tests/tsan.supp: glibc's dynamic TLS reuse, which TSan cannot see ordered (see the file).
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$tsan_logs/report:suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir build-tsan -R "^($suites)\." -j2 --output-on-failure --timeout 900 ||
    tsan_status=$?
if compgen -G "$tsan_logs/report*" >/dev/null; then
    echo "ThreadSanitizer reports:" >&2
    for f in "$tsan_logs"/report*; do echo "--- $f" >&2; cat "$f" >&2; done
    exit 1
fi
((tsan_status == 0)) || exit "$tsan_status"

stage "fuzz (short pass)"
./scripts/fuzz.sh --seconds 30

# Session output benchmarks at a small size: the figures are only printed (a loaded CI box
# says nothing about speed), but every byte must arrive and every wait must match, or it fails.
stage "benchmarks (short pass)"
BENCH_BYTES=$((64 << 20)) BENCH_RUNS=1 BENCH_WAIT_BYTES=$((16 << 20)) BENCH_RSS_SESSIONS=10 \
    BENCH_RSS_BYTES=$((16 << 20)) bench/session_output.sh build
# berth mcp through the official TypeScript SDK client (a few seconds): exact bytes or it fails.
BENCH_QUICK=1 bench/mcp.sh build

# The Debian packages (debian/), built from HEAD with Debian's flags in their own ccache'd
# folder, lintian without errors, then installed system-wide, used with only the installed
# files, and purged (tests/packaging/deb_test.sh; about 2 minutes warm).
stage "Debian packages (build, lintian)"
./scripts/package.sh build-deb/debs
stage "Debian packages (install, test, purge)"
tests/packaging/deb_test.sh build-deb/debs

finish_stage
echo "== all tests passed in $((SECONDS - start)) s"
