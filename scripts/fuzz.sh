#!/usr/bin/env bash
# Builds berth's libFuzzer targets (clang, ASan+UBSan) in build-fuzz and runs each for a
# bounded time. Usage:
#   scripts/fuzz.sh [--seconds N] [--workers 1|2] [--keep-going] [--merge] [TARGET...]
#     --seconds N    per target (default 600)
#     --workers N    fuzzing processes per target, at most 2 (libFuzzer's -fork=N)
#     --keep-going   record every crash and go on fuzzing (-fork -ignore_crashes=1)
#     --merge        afterwards, add to fuzz/corpus/<target>/ the inputs that found new
#                    coverage (libFuzzer -merge=1); otherwise the checked-in corpus is untouched
#     TARGET         default: every target in fuzz/ (output_buffer_fuzz options_fuzz rpc_frame_fuzz
#                    stream_frame_fuzz terminal_text_fuzz)
# Each target fuzzes a copy of its corpus in build-fuzz/fuzz-work/<target>/corpus, which
# persists, so runs build on each other. Exits non-zero if any target crashed, leaked, timed
# out or ran out of memory, and prints the inputs that did (reproduce one with
# build-fuzz/fuzz/<target> <input>). docs/fuzzing.md explains the targets.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
workers=1
keep_going=0
merge=0
targets=()
while (($# > 0)); do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --workers) workers=$2; shift 2 ;;
        --keep-going) keep_going=1; shift ;;
        --merge) merge=1; shift ;;
        -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
    echo "fuzz.sh: --seconds needs a positive number" >&2
    exit 2
fi
# Two cores, shared: more workers only thrash.
[[ $workers =~ ^[12]$ ]] || { echo "fuzz.sh: --workers is 1 or 2" >&2; exit 2; }
((${#targets[@]} > 0)) || targets=(output_buffer_fuzz options_fuzz rpc_frame_fuzz stream_frame_fuzz
    terminal_text_fuzz)

# The largest input each target generates. Enough for every request berthd takes and a
# nesting well past its limit; the corpus replay test runs the bigger checked-in seeds whole.
max_len_of() {
    case $1 in
        output_buffer_fuzz) echo 4096 ;;
        *) echo 16384 ;;
    esac
}

build_dir=build-fuzz
# shellcheck source=scripts/lib/ccache-env.sh
source scripts/lib/ccache-env.sh
if [[ ! -f $build_dir/build.ninja ]]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DBERTH_BUILD_FUZZ=ON \
        -DBERTH_BUILD_TESTS=OFF -DBERTH_BUILD_BENCH=OFF >/dev/null
fi
# Only the fuzz targets: plugins do not link against clang's static sanitizer runtime.
cmake --build "$build_dir" -j "${BERTH_JOBS:-2}" --target "${targets[@]}"

# ASan: a leak is a finding too. UBSan: stop at the first report, with its stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

failed=0
summary=()
for target in "${targets[@]}"; do
    work=$build_dir/fuzz-work/$target
    mkdir -p "$work/corpus" "$work/artifacts"
    cp -n fuzz/corpus/"$target"/* "$work/corpus/"
    rm -f "$work"/artifacts/*
    args=(-max_total_time="$seconds" -max_len="$(max_len_of "$target")" -timeout=30
          -rss_limit_mb=2048 -print_final_stats=1 -dict=fuzz/"$target".dict
          -artifact_prefix="$work/artifacts/")
    if ((workers > 1 || keep_going)); then
        args+=(-fork="$workers")
        ((keep_going)) && args+=(-ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    echo "== fuzz $target: ${seconds} s, $workers worker(s), log $work/fuzz.log"
    started=$SECONDS
    status=0
    # The grace covers libFuzzer's start (loading the corpus) and wrap-up; a hang past it is
    # a failure too.
    timeout -k 10 $((seconds + 120)) "$build_dir/fuzz/$target" "${args[@]}" "$work/corpus" \
        >"$work/fuzz.log" 2>&1 || status=$?

    # Executions: the final stats (one process), or the last status line (fork mode).
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
    [[ -n $execs ]] || execs=$(grep -oE '^#[0-9]+' "$work/fuzz.log" | tail -n 1 | tr -d '#')
    # The corpus libFuzzer kept (its last status line); the folder also holds inputs it has
    # since replaced by smaller ones.
    corpus=$(grep -oE 'corp: [0-9]+' "$work/fuzz.log" | tail -n 1 | cut -d' ' -f2)
    mapfile -t found < <(find "$work/artifacts" -type f | sort)
    summary+=("$(printf '%-20s %6s s  %10s execs  corpus %5s  findings %s' "$target" \
        $((SECONDS - started)) "${execs:-?}" "${corpus:-?}" "${#found[@]}")")
    if ((status != 0 || ${#found[@]} > 0)); then
        failed=1
        echo "fuzz.sh: $target failed (exit $status); from $work/fuzz.log:" >&2
        grep -E 'fuzz invariant broken|ERROR: |SUMMARY: ' "$work/fuzz.log" | head -n 20 >&2 || true
        for input in "${found[@]}"; do echo "fuzz.sh: crash input: $input" >&2; done
    fi
    if ((merge)); then
        # Only inputs that add coverage go in; the merge reads the work corpus, writes the
        # checked-in one.
        "$build_dir/fuzz/$target" -merge=1 fuzz/corpus/"$target" "$work/corpus" \
            >"$work/merge.log" 2>&1
        echo "== merged into fuzz/corpus/$target: $(find fuzz/corpus/"$target" -type f | wc -l) inputs"
    fi
done

printf '%s\n' "${summary[@]}"
exit $failed
