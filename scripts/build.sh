#!/usr/bin/env bash
# Configures (once) and builds berth. Usage: scripts/build.sh [BUILD_DIR] [-- CMAKE_ARGS...]
#   BUILD_DIR defaults to ./build. BERTH_SANITIZE=address|thread selects a sanitizer build.
# Re-running only rebuilds what changed (ninja + ccache).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:-build}
shift || true
[[ ${1:-} == -- ]] && shift
extra=("$@")
[[ -n ${BERTH_SANITIZE:-} ]] && extra+=("-DBERTH_SANITIZE=$BERTH_SANITIZE")

# shellcheck source=scripts/lib/ccache-env.sh
source scripts/lib/ccache-env.sh
if [[ ! -f $build_dir/build.ninja ]] || ((${#extra[@]} > 0)); then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}" >/dev/null
fi
# -j2: CI has two cores; more jobs only thrash.
cmake --build "$build_dir" -j "${BERTH_JOBS:-2}"
