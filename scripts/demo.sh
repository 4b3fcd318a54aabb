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

# Sessions that outlive a client: a private berthd, the session CLI against it, then SIGTERM
# (which closes whatever is still open and removes its containers).
demo_dir=$(mktemp -d)
export BERTH_SOCKET=$demo_dir/berthd.sock
build/bin/berthd --socket "$BERTH_SOCKET" --state-dir "$demo_dir/state" 2>"$demo_dir/berthd.log" &
berthd_pid=$!
stop_berthd() {
    kill -TERM "$berthd_pid" 2>/dev/null || true
    timeout 60 tail --pid="$berthd_pid" -f /dev/null || kill -KILL "$berthd_pid" 2>/dev/null || true
    rm -rf "$demo_dir"
}
trap stop_berthd EXIT
for _ in $(seq 100); do [[ -S $BERTH_SOCKET ]] && break; sleep 0.1; done
printf '\n$ berthd --socket %s --state-dir %s &\n' "$BERTH_SOCKET" "$demo_dir/state"
[[ -S $BERTH_SOCKET ]] || { echo "berthd did not come up:" >&2; cat "$demo_dir/berthd.log" >&2; exit 1; }

session_flow() {
    local runtime=$1
    shift
    printf '\n$ id=$(%s session open %s %s-- sh)\n' "$berth" "$runtime" "${*:+$* }"
    local id
    id=$("$berth" session open "$runtime" "$@" -- sh) || return 0
    echo "$id"
    show "$berth" session send "$id" 'echo ready'
    show "$berth" session wait "$id" ready --timeout 5000
    show "$berth" session read "$id"
    printf '\n$ %s metrics | grep sessions_active\n' "$berth"
    "$berth" metrics | grep "^berth_sessions_active" || true
    show "$berth" session close "$id"
}
session_flow local
[[ -f build/lib/berth/plugins/podman.so ]] && session_flow podman --image "$BERTH_TEST_IMAGE"
[[ -f build/lib/berth/plugins/containerd.so ]] && session_flow containerd --image "$BERTH_TEST_IMAGE"
[[ -f build/lib/berth/plugins/lxc.so ]] && session_flow lxc --opt template="$BERTH_LXC_TEMPLATE"
show "$berth" session ls
exit 0
