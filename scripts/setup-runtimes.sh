#!/usr/bin/env bash
# Installs and configures the three real runtimes berth drives -- podman, a private containerd and
# LXC -- on Debian 12 as root (no systemd as PID 1, no registry, only the Debian mirror), then
# smoke-tests each. Idempotent: when everything is in place it only runs the smoke tests.
# Paths are in runtime-env.sh; why each setting is needed is said in the files it writes.
#
# Usage: setup-runtimes.sh [--only podman|containerd|lxc]...   (repeatable or comma-separated)
# Output: one status line per runtime on stdout ("podman: ok (4.3.1)"); what it changes and what
# failed on stderr. Exit status: 0 if every selected runtime passed its smoke test, 1 otherwise,
# 2 on a usage error.
set -euo pipefail
shopt -s inherit_errexit

scripts_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=runtime-env.sh
source "$scripts_dir/runtime-env.sh"

readonly apt_log=/var/log/berth-setup-apt.log
readonly containers_conf=/etc/containers/containers.conf
readonly lock_file=/run/berth/setup.lock
readonly image_lock_file=/run/berth/podman-image.lock
readonly image=$BERTH_TEST_IMAGE
readonly -a ctr=(ctr --connect-timeout 2s -a "$BERTH_CONTAINERD_ADDRESS" -n "$BERTH_CONTAINERD_NAMESPACE")
readonly header="# Written by berth's scripts/setup-runtimes.sh, which rewrites it whenever it differs."

# Packages per runtime; hyperfine is for the benchmarks. containerd gets its image from podman.
readonly -a pkgs_common=(busybox-static hyperfine)
readonly -a pkgs_podman=(podman runc crun uidmap catatonit fuse-overlayfs)
readonly -a pkgs_containerd=(containerd runc "${pkgs_podman[@]}")
readonly -a pkgs_lxc=(lxc lxc-templates rsync)

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "$0"
}

# ---------------------------------------------------------------------------------------------
# Helpers. Steps run in a subshell with `set -e`; fail() ends the step with a message.

step=setup
# shellcheck source=scripts/lib/steps.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/steps.sh"

# smoke_ok CMD...: runs CMD bounded and without a terminal; it must print exactly "ok".
smoke_ok() {
    local out rc=0
    out=$(timeout -k 5 60 "$@" </dev/null 2>"$work/smoke.err") || rc=$?
    [[ $rc == 0 && $out == ok ]] && return 0
    {
        echo "$step: smoke test printed '${out:0:200}' (rc $rc):"
        sed 's/^/    /' "$work/smoke.err" | tail -n 15
    } >&2
    fail "smoke test failed: $(printf '%q ' "$@")"
}

# write_if_changed PATH CONTENT: replaces PATH atomically when its content differs and sets
# file_changed=1. A file that berth did not write is kept once as PATH.berth-orig.
write_if_changed() {
    local path=$1 content=$2
    file_changed=0
    if [[ -f $path && "$(<"$path")" == "$content" ]]; then
        return 0
    fi
    mkdir -p "$(dirname -- "$path")"
    if [[ -f $path && ! -e $path.berth-orig ]] && ! grep -qF "$header" "$path"; then
        cp -p "$path" "$path.berth-orig"
        note "kept the previous $path as $path.berth-orig"
    fi
    printf '%s\n' "$content" >"$path.berth-tmp"
    mv -f "$path.berth-tmp" "$path"
    note "wrote $path"
    file_changed=1
}

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
# shellcheck source=scripts/lib/busybox-rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/busybox-rootfs.sh"

# ---------------------------------------------------------------------------------------------
# podman

podman_conf() {
    # podman asks for nofile=1048576, which root cannot raise to here (no CAP_SYS_RESOURCE), and
    # nproc must stay within both the hard limit and kernel.pid_max.
    local nofile nproc pid_max
    nofile=$(ulimit -Hn)
    nproc=$(ulimit -Hu)
    pid_max=$(</proc/sys/kernel/pid_max)
    [[ $nofile == unlimited || $nofile -gt 1048576 ]] && nofile=1048576
    [[ $nproc == unlimited || $nproc -gt $pid_max ]] && nproc=$pid_max
    cat <<EOF
$header
# Measured on Debian 12 without systemd, cgroups v1 + v2 (hybrid), root without CAP_SYS_RESOURCE.
[containers]
# The CNI bridge costs ~120 ms a run and leaves iptables chains behind; berth needs no network.
netns = "none"
# The defaults ask for more than this machine's hard limits, and the OCI runtime's setrlimit fails.
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
# crun refuses "cgroups in hybrid mode"; runc copes.
runtime = "runc"
# No systemd: cgroups are managed directly and events go to a file instead of journald.
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
}

# The config and the image. The containerd step, running at the same time, may need both too (to
# export the image), so the two take turns.
ensure_podman_image() {
    local step=podman lock rc=0
    exec {lock}>"$image_lock_file"
    flock -w 300 "$lock" || fail "$image_lock_file stayed locked for 300 s"
    write_if_changed "$containers_conf" "$(podman_conf)"
    timeout -k 5 30 podman image exists "$image" </dev/null || rc=$?
    if ((rc == 1)); then
        build_image
    elif ((rc != 0)); then
        fail "podman image exists $image failed (rc $rc); try it by hand"
    fi
    exec {lock}>&-
}

build_image() {
    note "building $image from /bin/busybox"
    berth_busybox_rootfs "$work/rootfs"
    tar --numeric-owner --owner=0 --group=0 -C "$work/rootfs" -cf "$work/rootfs.tar" .
    run_logged 120 podman import --change 'CMD ["/bin/sh"]' "$work/rootfs.tar" "$image"
}

setup_podman() {
    ensure_podman_image
    smoke_ok podman run --rm --pull never "$image" sh -c 'echo ok'
    local version
    version=$(podman --version)
    echo "podman: ok (${version##* })"
}

# ---------------------------------------------------------------------------------------------
# containerd: a private daemon, never the system one; root, state, socket and opt are its own.

containerd_conf() {
    cat <<EOF
$header
# berth's private containerd; started by setup-runtimes.sh, stopped by stop-runtimes.sh.
version = 2
root = "$BERTH_CONTAINERD_ROOT_DIR/root"
state = "$BERTH_CONTAINERD_STATE_DIR/state"
# No Kubernetes here; the CRI plugin would only add start-up time and log noise.
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$BERTH_CONTAINERD_ADDRESS"

[plugins."io.containerd.internal.v1.opt"]
  path = "$BERTH_CONTAINERD_ROOT_DIR/opt"
EOF
}

# containerd_answers: true if the daemon answers on its socket; keeps `ctr version` in ctr_version.
containerd_answers() {
    local out # set apart: a failing `ctr version` still prints its client half
    [[ -S $BERTH_CONTAINERD_ADDRESS ]] &&
        out=$(timeout -k 2 5 "${ctr[@]}" version </dev/null 2>/dev/null) || return 1
    ctr_version=$out
}

start_containerd() {
    note "starting containerd on $BERTH_CONTAINERD_ADDRESS (log: $BERTH_CONTAINERD_LOG)"
    mkdir -p "$BERTH_CONTAINERD_ROOT_DIR" "$BERTH_CONTAINERD_STATE_DIR" \
        "$(dirname -- "$BERTH_CONTAINERD_ADDRESS")" "$(dirname -- "$BERTH_CONTAINERD_LOG")"
    rm -f "$BERTH_CONTAINERD_ADDRESS" "$BERTH_CONTAINERD_ADDRESS.ttrpc" "$BERTH_CONTAINERD_PIDFILE"
    echo "=== $(date -Is) started by setup-runtimes.sh" >>"$BERTH_CONTAINERD_LOG"
    (
        # Detach completely: no caller's pipe (a caller reading our output would wait for the
        # daemon to exit), no setup lock, no working folder kept busy.
        cd /
        exec </dev/null >>"$BERTH_CONTAINERD_LOG" 2>&1
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if ((fd > 2)); then eval "exec $fd>&-"; fi
        done
        # Not a process group leader (no job control here), so setsid execs in place: $! is it.
        exec setsid containerd --config "$BERTH_CONTAINERD_CONFIG"
    ) &
    local pid=$! deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)); do
        if ! berth_pid_alive "$pid"; then
            tail -n 15 "$BERTH_CONTAINERD_LOG" | sed 's/^/    /' >&2
            fail "containerd exited during start-up; see $BERTH_CONTAINERD_LOG"
        fi
        if containerd_answers; then
            echo "$pid" >"$BERTH_CONTAINERD_PIDFILE"
            return 0
        fi
        sleep 0.05
    done
    tail -n 15 "$BERTH_CONTAINERD_LOG" | sed 's/^/    /' >&2
    # A daemon that never answers is of no use, and would hold the root folder's lock.
    "$scripts_dir/stop-runtimes.sh" --quiet --timeout 2 || true
    fail "containerd (pid $pid) did not answer on $BERTH_CONTAINERD_ADDRESS within 10 s; see $BERTH_CONTAINERD_LOG"
}

setup_containerd() {
    write_if_changed "$BERTH_CONTAINERD_CONFIG" "$(containerd_conf)"
    local config_changed=$file_changed pid="" deadline answered=0

    if pid=$(berth_containerd_pid); then
        if ((config_changed)); then
            note "config changed: restarting containerd (pid $pid)"
            "$scripts_dir/stop-runtimes.sh" --quiet || fail "could not stop containerd pid $pid"
            pid=""
        else
            # Alive but not answering yet (starting, or busy): give it some start-up time.
            deadline=$((SECONDS + 5))
            while ((SECONDS < deadline)); do
                if containerd_answers; then
                    answered=1
                    break
                fi
                sleep 0.05
            done
            if ((!answered)); then
                note "containerd pid $pid does not answer on $BERTH_CONTAINERD_ADDRESS: restarting it"
                "$scripts_dir/stop-runtimes.sh" --quiet || fail "could not stop containerd pid $pid"
                pid=""
            fi
        fi
    fi
    [[ -n $pid ]] || start_containerd

    local images
    images=$(timeout -k 2 30 "${ctr[@]}" image ls -q </dev/null) ||
        fail "ctr image ls failed; see $BERTH_CONTAINERD_LOG"
    if [[ $'\n'$images$'\n' != *$'\n'$image$'\n'* ]]; then
        ensure_podman_image
        note "importing $image into namespace $BERTH_CONTAINERD_NAMESPACE"
        run_logged 120 podman save --format oci-archive -o "$work/image.tar" "$image"
        run_logged 120 "${ctr[@]}" image import "$work/image.tar"
        images=$(timeout -k 2 30 "${ctr[@]}" image ls -q </dev/null) || true
        [[ $'\n'$images$'\n' == *$'\n'$image$'\n'* ]] ||
            fail "after import, ctr lists '${images//$'\n'/ }' but not $image"
    fi

    ctr_smoke=berth-smoke-$$
    smoke_ok "${ctr[@]}" run --rm "$image" "$ctr_smoke" echo ok
    ctr_smoke=""
    local version=${ctr_version##*Server:}
    version=${version#*Version:}
    read -r version _ <<<"$version"
    echo "containerd: ok ($version)"
}

# ---------------------------------------------------------------------------------------------
# LXC

lxc_conf() {
    cat <<EOF
$header
# The default config wants a veth on lxcbr0, which does not exist here; berth needs no network.
lxc.net.0.type = empty
lxc.net.0.flags = up
# No AppArmor on these machines.
lxc.apparmor.profile = unconfined
EOF
}

lxc_exists() {
    timeout -k 2 10 lxc-info -n "$1" -s </dev/null 2>/dev/null
}

setup_lxc() {
    write_if_changed "$BERTH_LXC_CONFIG" "$(lxc_conf)"
    local state
    if state=$(lxc_exists "$BERTH_LXC_TEMPLATE") && ((file_changed)); then
        note "config changed: re-creating $BERTH_LXC_TEMPLATE"
        run_logged 30 lxc-destroy -f -n "$BERTH_LXC_TEMPLATE"
        state=""
    fi
    if [[ -z $state ]]; then
        note "creating the template container $BERTH_LXC_TEMPLATE"
        run_logged 120 lxc-create -t busybox -n "$BERTH_LXC_TEMPLATE" -f "$BERTH_LXC_CONFIG"
    elif [[ $state != *STOPPED* ]]; then
        note "stopping the template container $BERTH_LXC_TEMPLATE (it was ${state##* })"
        run_logged 30 lxc-stop -k -n "$BERTH_LXC_TEMPLATE"
    fi

    # An ephemeral copy vanishes when it stops; cleanup() stops it if anything below fails.
    lxc_smoke=berth-smoke-$$
    run_logged 60 lxc-copy -e -B overlayfs -n "$BERTH_LXC_TEMPLATE" -N "$lxc_smoke" {lock_fd}>&-
    run_logged 15 lxc-wait -n "$lxc_smoke" -s RUNNING -t 10
    smoke_ok lxc-attach -n "$lxc_smoke" -- echo ok
    run_logged 30 lxc-stop -k -n "$lxc_smoke"
    local deadline=$((SECONDS + 5))
    while lxc_exists "$lxc_smoke" >/dev/null; do
        ((SECONDS < deadline)) || fail "the ephemeral container $lxc_smoke was not destroyed after stopping"
        sleep 0.05
    done
    lxc_smoke=""
    local version
    version=$(lxc-start --version)
    echo "lxc: ok ($version)"
}

# ---------------------------------------------------------------------------------------------

# Runs on every exit of a step: leaves no smoke container and no temporary files behind.
# shellcheck disable=SC2317 # called by `trap`, which ShellCheck does not follow
cleanup() {
    if [[ -n ${lxc_smoke:-} ]]; then
        timeout -k 2 15 lxc-stop -k -n "$lxc_smoke" </dev/null >/dev/null 2>&1 || true
        if lxc_exists "$lxc_smoke" >/dev/null; then
            timeout -k 2 15 lxc-destroy -f -n "$lxc_smoke" </dev/null >/dev/null 2>&1 || true
        fi
    fi
    if [[ -n ${ctr_smoke:-} ]]; then
        timeout -k 2 15 "${ctr[@]}" task kill -s SIGKILL "$ctr_smoke" </dev/null >/dev/null 2>&1 || true
        timeout -k 2 15 "${ctr[@]}" task delete -f "$ctr_smoke" </dev/null >/dev/null 2>&1 || true
        timeout -k 2 15 "${ctr[@]}" container rm "$ctr_smoke" </dev/null >/dev/null 2>&1 || true
    fi
    if [[ -n ${work:-} ]]; then
        rm -rf "$work"
    fi
}

# run_step NAME: runs setup_NAME in a subshell with errexit in force (it would be off inside an
# `if`); prints "NAME: FAILED" and returns 1 if it fails.
run_step() {
    local rc=0
    set +e
    (
        set -eE
        step=$1 work="" lxc_smoke="" ctr_smoke=""
        # Anything failing that has no message of its own still says what it was.
        trap 'echo "$step: error: line $LINENO: $BASH_COMMAND failed (rc $?)" >&2' ERR
        trap cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        work=$(mktemp -d /tmp/berth-setup.XXXXXX)
        case $1 in
            podman) setup_podman ;;
            containerd) setup_containerd ;;
            lxc) setup_lxc ;;
        esac
    )
    rc=$?
    set -e
    if ((rc != 0)); then
        echo "$1: FAILED"
        return 1
    fi
}

# Stops the steps still running; their own traps remove what they made.
# shellcheck disable=SC2317 # called by `trap`
stop_steps() {
    if ((${#step_pids[@]} > 0)); then
        kill -TERM "${step_pids[@]}" 2>/dev/null || true
    fi
}

want_podman=0 want_containerd=0 want_lxc=0
while (($# > 0)); do
    case $1 in
        --only) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; selection=$2; shift 2 ;;
        --only=*) selection=${1#--only=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    IFS=, read -ra names <<<"$selection"
    for name in "${names[@]}"; do
        case $name in
            podman) want_podman=1 ;;
            containerd) want_containerd=1 ;;
            lxc) want_lxc=1 ;;
            *) echo "setup-runtimes: unknown runtime '$name' (podman, containerd or lxc)" >&2; exit 2 ;;
        esac
    done
done
if ((want_podman + want_containerd + want_lxc == 0)); then
    want_podman=1 want_containerd=1 want_lxc=1
fi

[[ $EUID == 0 ]] || { echo "setup-runtimes: run as root (it installs packages and starts a daemon)" >&2; exit 1; }
if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    echo "setup-runtimes: needs a Debian system (apt-get, dpkg-query)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
step_pids=()
out_dir=""
trap 'stop_steps; exit 130' INT
trap 'stop_steps; exit 143' TERM
trap 'if [[ -n $out_dir ]]; then rm -rf "$out_dir"; fi' EXIT

# test.sh, demo.sh and CI jobs may run this at the same time: one at a time, or two containerds
# would race for the socket.
mkdir -p "$(dirname -- "$lock_file")"
exec {lock_fd}>"$lock_file"
flock -w 600 "$lock_fd" || { echo "setup-runtimes: $lock_file stayed locked for 600 s" >&2; exit 1; }

packages=("${pkgs_common[@]}")
((want_podman)) && packages+=("${pkgs_podman[@]}")
((want_containerd)) && packages+=("${pkgs_containerd[@]}")
((want_lxc)) && packages+=("${pkgs_lxc[@]}")
ensure_packages "${packages[@]}"

# The runtimes are independent (but for the podman image, which has its own lock), and the smoke
# tests are most of a second run's time: run the steps side by side, report them in a fixed order.
steps=()
((want_podman)) && steps+=(podman)
((want_containerd)) && steps+=(containerd)
((want_lxc)) && steps+=(lxc)
out_dir=$(mktemp -d /tmp/berth-setup-out.XXXXXX)
for name in "${steps[@]}"; do
    run_step "$name" >"$out_dir/$name.out" 2>"$out_dir/$name.err" &
    step_pids+=($!)
done
failed=0
for i in "${!steps[@]}"; do
    wait "${step_pids[i]}" || failed=1
    cat "$out_dir/${steps[i]}.err" >&2
    cat "$out_dir/${steps[i]}.out"
done
exit "$failed"
