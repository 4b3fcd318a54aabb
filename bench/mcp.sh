#!/usr/bin/env bash
# `berth mcp` benchmarks of issue 13, through the official MCP TypeScript SDK client against a
# private berthd (bench/mcp_bench.mjs):
#   a. 16 MiB of random output read exact through console_get_output in 1 MiB base64 pages:
#      MiB/s, sha256 checked (exit 1 when the bytes are not exact)
#   b. console_send_input -> console_wait_for_output literal echo on a local `cat` session:
#      p50/p90/p99 over 200 round trips
#   c. `berth mcp` spawned to its initialize reply, berthd running: median of 20
# Prints a markdown table (progress on stderr). Usage: bench/mcp.sh [BUILD_DIR]
# Sizes from the environment: BENCH_MCP_BYTES (a, 16777216), BENCH_MCP_READS (a, 3),
# BENCH_MCP_ROUNDTRIPS (b, 200), BENCH_MCP_SPAWNS (c, 20); BENCH_QUICK=1 is a short pass for CI
# (1 MiB, 1 read, 20 round trips, 5 spawns) unless those are set.
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-build}" && pwd)
fail() { echo "mcp bench: $*" >&2; exit 1; }
command -v node >/dev/null || fail "node is not installed (scripts/deps.sh)"
for bin in berth berthd; do
    [[ -x $build/bin/$bin ]] || fail "$build/bin/$bin is not built"
done
[[ -f $build/lib/berth/plugins/local.so ]] || fail "the local plugin is not built in $build"
[[ -d $here/../tests/mcp_client/node_modules/@modelcontextprotocol/sdk ]] ||
    fail "tests/mcp_client/node_modules is missing (scripts/deps.sh runs npm ci there)"
if [[ ${BENCH_QUICK:-} == 1 ]]; then
    export BENCH_MCP_BYTES=${BENCH_MCP_BYTES:-1048576} BENCH_MCP_READS=${BENCH_MCP_READS:-1}
    export BENCH_MCP_ROUNDTRIPS=${BENCH_MCP_ROUNDTRIPS:-20} BENCH_MCP_SPAWNS=${BENCH_MCP_SPAWNS:-5}
fi
export BERTH_BIN=$build/bin/berth BERTHD_BIN=$build/bin/berthd
export BERTH_PLUGIN_PATH=$build/lib/berth/plugins
exec node "$here/mcp_bench.mjs"
