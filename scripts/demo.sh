#!/usr/bin/env bash
# The main job, end to end: install what is missing, set up the runtimes, build, then show
# berth's plugins, their health, and real sessions through each runtime plugin present.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
./scripts/setup-runtimes.sh
# shellcheck source=scripts/runtime-env.sh
source scripts/runtime-env.sh
export CONTAINERD_ADDRESS=$BERTH_CONTAINERD_ADDRESS CONTAINERD_NAMESPACE=$BERTH_CONTAINERD_NAMESPACE
./scripts/build.sh build >/dev/null

berth=build/bin/berth
show() {
    printf '\n$ %s\n' "$*"
    local status=0
    "$@" || status=$?
    echo "[exit $status]"
}

show "$berth" --version
show "$berth" plugin ls
show "$berth" health
show "$berth" run local -- sh -c 'echo hi from $(uname -s); exit 3'
printf '\n$ echo hello | %s run local -- tr a-z A-Z\n' "$berth"
echo hello | "$berth" run local -- tr a-z A-Z
show "$berth" run local -t -- sh -c 'stty size; tty'

if [[ -f build/lib/berth/plugins/podman.so ]]; then
    show "$berth" run podman --image "$BERTH_TEST_IMAGE" -- sh -c 'echo hi; exit 4'
fi
if [[ -f build/lib/berth/plugins/containerd.so ]]; then
    printf '\n$ echo hi | %s run containerd --image %s -- sh -c '"'"'read x; echo got $x'"'"'\n' "$berth" "$BERTH_TEST_IMAGE"
    echo hi | "$berth" run containerd --image "$BERTH_TEST_IMAGE" -- sh -c 'read x; echo got $x'
fi
if [[ -f build/lib/berth/plugins/lxc.so ]]; then
    show "$berth" run lxc --opt template="$BERTH_LXC_TEMPLATE" -- sh -c 'echo hi; exit 5'
fi
exit 0
