#!/usr/bin/env bash
# Runs the lxd plugin's tests against Incus 6.0.4 instead of LXD 5.0.2: the conformance suite
# over Incus's socket and over HTTPS, the cluster tests (a session on member 2 through member 1,
# a member stopped), and berthd's reclaim of launched instances. Not part of test.sh, which tests
# LXD (the time budget); the same plugin and tests, pointed at the Incus cluster.
#
# Usage: scripts/test-incus.sh [BUILD_DIR]   (default build/; built first with build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

./scripts/deps.sh
./scripts/setup-runtimes.sh
./scripts/setup-lxd.sh --incus
./scripts/build.sh "$build_dir"
# shellcheck source=scripts/runtime-env.sh
source scripts/runtime-env.sh

# The tests read the LXD cluster's variables: point each at its Incus twin.
for v in NODE1_SOCKET NODE2_SOCKET NODE1_ADDRESS NODE2_ADDRESS NODE1_PIDFILE NODE2_PIDFILE IMAGE \
    EXEC_INSTANCE CLIENT_CERT CLIENT_KEY SERVER_CERT; do
    incus_var=BERTH_INCUS_$v
    export "BERTH_LXD_$v=${!incus_var}"
done
export BERTH_LXD_FLAVOR=incus
export CONTAINERD_ADDRESS=$BERTH_CONTAINERD_ADDRESS CONTAINERD_NAMESPACE=$BERTH_CONTAINERD_NAMESPACE

ctest --test-dir "$build_dir" -R '/lxd_|Lxd|Runtimes/BerthdRuntime.*lxd' -j 2 --output-on-failure \
    --timeout 300
