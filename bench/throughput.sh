#!/usr/bin/env bash
# Output throughput of a `local` session against a raw pipe of the same bytes, both in-process
# (Google Benchmark) and end to end (whole commands under hyperfine). Prints markdown rows with
# the ratio berth/raw (target >= 0.8). Usage: bench/throughput.sh [BUILD_DIR]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
berth=$build/bin/berth
mib=256

json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$build/bin/berth_throughput_bench" --benchmark_format=json --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true >"$json" 2>/dev/null
read -r raw_bps local_bps < <(python3 - "$json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = {b["run_name"].split("/")[0]: b["bytes_per_second"] for b in d["benchmarks"] if b.get("aggregate_name") == "median"}
print(m["BM_RawPipe"], m["BM_LocalSession"])
PY
)

# End to end: the bytes cross a pipe into a second process that writes them out, in both.
hyperfine -N --warmup 2 --runs 15 --export-json "$json" \
    "sh -c 'head -c ${mib}M /dev/zero | cat'" \
    "$berth run local -- head -c ${mib}M /dev/zero" >/dev/null
read -r raw_s berth_s < <(python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(r[0]["median"], r[1]["median"])
PY
)

python3 - "$raw_bps" "$local_bps" "$raw_s" "$berth_s" "$mib" <<'PY'
import sys
raw_bps, local_bps, raw_s, berth_s, mib = map(float, sys.argv[1:])
mb = 1024 * 1024
print("| measurement | raw pipe | berth local session | ratio (berth/raw) | target |")
print("| --- | --- | --- | --- | --- |")
print(f"| in-process, 64 MiB per run (Google Benchmark, median of 5) | {raw_bps/mb:.0f} MiB/s | {local_bps/mb:.0f} MiB/s | {local_bps/raw_bps:.2f} | >= 0.8 |")
print(f"| end to end, {mib:.0f} MiB (hyperfine, median of 15) | {mib/raw_s:.0f} MiB/s | {mib/berth_s:.0f} MiB/s | {raw_s/berth_s:.2f} | >= 0.8 |")
PY
