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

# LXD for the lxd plugin (setup-lxd.sh, stop-lxd.sh): Debian 12's LXD 5.0.2 packages unpacked into
# a private root, never installed (the lxd package pulls in lxcfs, which changes LXC's shared
# config, and its postinst needs systemd), and two daemons joined as a cluster on loopback, each
# with its own state folder, address, log and pid file. Instances are privileged (no subuid range).
export BERTH_LXD_ROOT="${BERTH_LXD_ROOT:-/var/lib/berth/lxd-root}"
export BERTH_LXD_NODE1_DIR="${BERTH_LXD_NODE1_DIR:-/var/lib/berth/lxd/node1}"
export BERTH_LXD_NODE2_DIR="${BERTH_LXD_NODE2_DIR:-/var/lib/berth/lxd/node2}"
export BERTH_LXD_NODE1_ADDRESS="${BERTH_LXD_NODE1_ADDRESS:-127.0.0.1:8443}"
export BERTH_LXD_NODE2_ADDRESS="${BERTH_LXD_NODE2_ADDRESS:-127.0.0.1:8444}"
export BERTH_LXD_NODE1_LOG="${BERTH_LXD_NODE1_LOG:-/var/log/berth-lxd-node1.log}"
export BERTH_LXD_NODE2_LOG="${BERTH_LXD_NODE2_LOG:-/var/log/berth-lxd-node2.log}"
export BERTH_LXD_NODE1_PIDFILE="${BERTH_LXD_NODE1_PIDFILE:-/run/berth/lxd/node1.pid}"
export BERTH_LXD_NODE2_PIDFILE="${BERTH_LXD_NODE2_PIDFILE:-/run/berth/lxd/node2.pid}"
# LXD puts each member's socket in its state folder; both members serve HTTPS with the cluster's
# certificate (node1 makes it when the cluster is created), which clients pin.
export BERTH_LXD_NODE1_SOCKET="$BERTH_LXD_NODE1_DIR/unix.socket"
export BERTH_LXD_NODE2_SOCKET="$BERTH_LXD_NODE2_DIR/unix.socket"
export BERTH_LXD_SERVER_CERT="$BERTH_LXD_NODE1_DIR/cluster.crt"
# A client certificate (EC) the cluster trusts, for HTTPS; and the lxc client's own config folder,
# so that nothing is written under root's home.
export BERTH_LXD_CLIENT_DIR="${BERTH_LXD_CLIENT_DIR:-/var/lib/berth/lxd/client}"
export BERTH_LXD_CLIENT_CERT="$BERTH_LXD_CLIENT_DIR/client.crt"
export BERTH_LXD_CLIENT_KEY="$BERTH_LXD_CLIENT_DIR/client.key"
# The busybox image, imported under this alias from the same busybox as BERTH_TEST_IMAGE.
export BERTH_LXD_IMAGE="${BERTH_LXD_IMAGE:-berth-busybox}"

# berth_lxd_env NODE: prints, one a line, the environment (for `env`) in which lxd and lxc from the
# private root talk to member NODE (1 or 2) over its Unix socket.
berth_lxd_env() {
    local dir_var="BERTH_LXD_NODE$1_DIR" libdir
    for libdir in "$BERTH_LXD_ROOT"/usr/lib/*-linux-gnu; do :; done
    printf '%s\n' "LXD_DIR=${!dir_var}" "LXD_CONF=$BERTH_LXD_CLIENT_DIR/lxc-conf" \
        "PATH=$BERTH_LXD_ROOT/usr/bin:$BERTH_LXD_ROOT/usr/sbin:$PATH" \
        "LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

# berth_lxd NODE CMD...: runs CMD (lxc, lxd, ...) in that environment, e.g. `berth_lxd 1 lxc list`.
berth_lxd() {
    local -a vars=()
    mapfile -t vars < <(berth_lxd_env "$1")
    shift
    env "${vars[@]}" "$@"
}

# berth_lxd_pid NODE: prints the pid of member NODE's live daemon (an `lxd` started with that
# member's log file), or returns 1. Trusts the pid file only after checking the process.
berth_lxd_pid() {
    local pidfile_var="BERTH_LXD_NODE$1_PIDFILE" log_var="BERTH_LXD_NODE$1_LOG" pid="" dir
    if [[ -r ${!pidfile_var} ]]; then
        read -r pid <"${!pidfile_var}" || true
        if [[ $pid =~ ^[0-9]+$ ]] && _berth_is_lxd_with "$pid" "${!log_var}"; then
            echo "$pid"
            return 0
        fi
    fi
    for dir in /proc/[0-9]*; do
        if _berth_is_lxd_with "${dir#/proc/}" "${!log_var}"; then
            echo "${dir#/proc/}"
            return 0
        fi
    done
    return 1
}

_berth_is_lxd_with() {
    local -a argv=()
    local arg
    { mapfile -d '' -t argv <"/proc/$1/cmdline"; } 2>/dev/null || return 1
    ((${#argv[@]} > 0)) && [[ ${argv[0]##*/} == lxd ]] || return 1
    for arg in "${argv[@]}"; do
        if [[ $arg == "$2" || $arg == "--logfile=$2" ]]; then
            berth_pid_alive "$1"
            return
        fi
    done
    return 1
}
