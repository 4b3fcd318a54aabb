#!/usr/bin/env bash
# Installs what is missing, sets up the real runtimes, builds, and runs every test: the normal
# build, then an ASan+UBSan build. Under CI=true a missing runtime fails its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

./scripts/deps.sh
./scripts/setup-runtimes.sh
# shellcheck source=scripts/runtime-env.sh
source scripts/runtime-env.sh
# The runtime CLIs and berth's plugins read these; point them at the private containerd.
export CONTAINERD_ADDRESS=$BERTH_CONTAINERD_ADDRESS CONTAINERD_NAMESPACE=$BERTH_CONTAINERD_NAMESPACE

./scripts/check-format.sh

echo "== build (RelWithDebInfo)"
./scripts/build.sh build
echo "== tests"
ctest --test-dir build -j2 --output-on-failure --timeout 600

echo "== build (ASan+UBSan)"
BERTH_SANITIZE=address ./scripts/build.sh build-asan -- -DBERTH_BUILD_BENCH=OFF
echo "== tests (ASan+UBSan)"
# detect_leaks=0 for dlopen'ed plugins' static init noise is not needed; keep leaks on.
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan -j2 --output-on-failure --timeout 900

echo "== all tests passed in $((SECONDS - start)) s"
