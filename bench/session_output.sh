#!/usr/bin/env bash
# Session output benchmarks of issue 12, each against a raw pipe measured in the same run, pairs
# run alternately, medians compared; prints a markdown table (progress on stderr):
#   a. `berth run local -- head -c N /dev/zero | cat` vs `head -c N /dev/zero | cat` (>= 0.9)
#   b. `berth session read ID --follow | sha256sum` of a finished N-byte session (>= 0.5, exact)
#   c. the same, following a running session from its start (>= 0.5, exact)
#   d. `berth session attach ID | sha256sum` of a session printing N bytes (>= 0.5, exact)
#   e. `berth session wait ID PATTERN` over 64 MiB in 4 KiB lines, pattern at the end, vs
#      `grep -m1` over the same generator (within 2x)
#   f. berthd's RSS after 100 sessions printed 64 MiB each, against the bound of its rings
# It starts its own berthd on a private socket and state dir. Usage:
#   bench/session_output.sh [BUILD_DIR]
# Sizes from the environment, so CI can run a tiny pass: BENCH_BYTES (a-d, default 1 GiB),
# BENCH_RUNS (pairs, 5), BENCH_WAIT_BYTES (e, 64 MiB), BENCH_RSS_SESSIONS (f, 100),
# BENCH_RSS_BYTES (f, 64 MiB), BENCH_RING_BYTES (berthd's output_buffer_bytes, 1 MiB),
# BENCH_TIMEOUT_S (bound on any one command, 600).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
for tool in python3 sha256sum head grep cat; do
    command -v "$tool" >/dev/null || { echo "session_output: $tool is not installed" >&2; exit 1; }
done
for bin in berth berthd; do
    [[ -x $build/bin/$bin ]] || { echo "session_output: $build/bin/$bin is not built" >&2; exit 1; }
done
[[ -f $build/lib/berth/plugins/local.so ]] ||
    { echo "session_output: the local plugin is not built in $build" >&2; exit 1; }
exec python3 "$(dirname -- "${BASH_SOURCE[0]}")/session_output.py" "$build"
