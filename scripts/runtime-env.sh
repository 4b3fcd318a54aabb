# shellcheck shell=bash
# Where berth's real container runtimes live. Sourced by setup-runtimes.sh, stop-runtimes.sh,
# test.sh, demo.sh and the integration tests, so every path is spelled exactly once.
# Each value can be overridden from the environment before sourcing.

# A private containerd (never the system one): everything it owns lives under these folders.
export BERTH_CONTAINERD_ROOT_DIR="${BERTH_CONTAINERD_ROOT_DIR:-/var/lib/berth/containerd}"
export BERTH_CONTAINERD_STATE_DIR="${BERTH_CONTAINERD_STATE_DIR:-/run/berth/containerd}"
export BERTH_CONTAINERD_ADDRESS="${BERTH_CONTAINERD_ADDRESS:-/run/berth/containerd/containerd.sock}"
export BERTH_CONTAINERD_CONFIG="${BERTH_CONTAINERD_CONFIG:-/var/lib/berth/containerd/config.toml}"
export BERTH_CONTAINERD_LOG="${BERTH_CONTAINERD_LOG:-/var/log/berth-containerd.log}"
export BERTH_CONTAINERD_NAMESPACE="${BERTH_CONTAINERD_NAMESPACE:-berth}"

# The one image every runtime runs: Debian's busybox-static, built locally (no registry here).
export BERTH_TEST_IMAGE="${BERTH_TEST_IMAGE:-localhost/berth-busybox:latest}"

# LXC: a stopped busybox container that tests clone with `lxc-copy -e`, and the config it uses.
export BERTH_LXC_TEMPLATE="${BERTH_LXC_TEMPLATE:-berth-tmpl-busybox}"
export BERTH_LXC_CONFIG="${BERTH_LXC_CONFIG:-/etc/berth/lxc.conf}"
# setup-runtimes.sh records the daemon's pid here; berth_containerd_pid below checks it is still ours.
export BERTH_CONTAINERD_PIDFILE="${BERTH_CONTAINERD_PIDFILE:-/run/berth/containerd/containerd.pid}"

# berth_pid_alive PID: true if PID runs. `kill -0` is not enough here: PID 1 on these machines reaps
# orphans only after seconds, so a dead daemon lingers as a zombie that `kill -0` calls alive.
berth_pid_alive() {
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }  # the state follows "(comm) ", and comm may hold spaces or parentheses
    [[ ${stat%% *} != [ZX] ]]
}

# berth_containerd_pid: prints the pid of the live private containerd (the one started with
# $BERTH_CONTAINERD_CONFIG), or returns 1. Trusts the pid file only after checking the process.
berth_containerd_pid() {
    local pid="" dir
    if [[ -r $BERTH_CONTAINERD_PIDFILE ]]; then
        read -r pid <"$BERTH_CONTAINERD_PIDFILE" || true
        if [[ $pid =~ ^[0-9]+$ ]] && _berth_is_our_containerd "$pid"; then
            echo "$pid"
            return 0
        fi
    fi
    for dir in /proc/[0-9]*; do
        if _berth_is_our_containerd "${dir#/proc/}"; then
            echo "${dir#/proc/}"
            return 0
        fi
    done
    return 1
}

_berth_is_our_containerd() {
    local -a argv=()
    local arg
    { mapfile -d '' -t argv <"/proc/$1/cmdline"; } 2>/dev/null || return 1
    ((${#argv[@]} > 0)) && [[ ${argv[0]##*/} == containerd ]] || return 1
    for arg in "${argv[@]}"; do
        if [[ $arg == "$BERTH_CONTAINERD_CONFIG" || $arg == "--config=$BERTH_CONTAINERD_CONFIG" ]]; then
            berth_pid_alive "$1"
            return
        fi
    done
    return 1
}
