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

# berth_wait_gone PID SECONDS: true once PID is gone or a zombie, polling every 50 ms.
berth_wait_gone() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        berth_pid_alive "$1" || return 0
        sleep 0.05
    done
    ! berth_pid_alive "$1"
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

# LXD and Incus for the lxd plugin (setup-lxd.sh, stop-lxd.sh): Debian's packages unpacked into a
# private root, never installed (lxd and incus pull in lxcfs, which changes LXC's shared config,
# and their postinsts need systemd), and two daemons joined as a cluster on loopback, each with
# its own state folder, address, log and pid file. Instances are privileged (no subuid range).
# LXD 5.0.2 comes from Debian 12; Incus 6.0.4 from bookworm-backports, through a private apt
# configuration under BERTH_INCUS_APT_DIR (the system's sources stay as they are).
export BERTH_LXD_ROOT="${BERTH_LXD_ROOT:-/var/lib/berth/lxd-root}"
export BERTH_LXD_NODE1_DIR="${BERTH_LXD_NODE1_DIR:-/var/lib/berth/lxd/node1}"
export BERTH_LXD_NODE2_DIR="${BERTH_LXD_NODE2_DIR:-/var/lib/berth/lxd/node2}"
export BERTH_LXD_NODE1_ADDRESS="${BERTH_LXD_NODE1_ADDRESS:-127.0.0.1:8443}"
export BERTH_LXD_NODE2_ADDRESS="${BERTH_LXD_NODE2_ADDRESS:-127.0.0.1:8444}"
export BERTH_LXD_NODE1_LOG="${BERTH_LXD_NODE1_LOG:-/var/log/berth-lxd-node1.log}"
export BERTH_LXD_NODE2_LOG="${BERTH_LXD_NODE2_LOG:-/var/log/berth-lxd-node2.log}"
export BERTH_LXD_NODE1_PIDFILE="${BERTH_LXD_NODE1_PIDFILE:-/run/berth/lxd/node1.pid}"
export BERTH_LXD_NODE2_PIDFILE="${BERTH_LXD_NODE2_PIDFILE:-/run/berth/lxd/node2.pid}"
# A client certificate (EC) the cluster trusts, for HTTPS, and the lxc client's own config folder
# (so that nothing is written under root's home).
export BERTH_LXD_CLIENT_DIR="${BERTH_LXD_CLIENT_DIR:-/var/lib/berth/lxd/client}"
# The busybox image, imported under this alias from the same busybox as BERTH_TEST_IMAGE.
export BERTH_LXD_IMAGE="${BERTH_LXD_IMAGE:-berth-busybox}"
export BERTH_LXD_EXEC_INSTANCE="${BERTH_LXD_EXEC_INSTANCE:-berth-exec}"

export BERTH_INCUS_ROOT="${BERTH_INCUS_ROOT:-/var/lib/berth/incus-root}"
export BERTH_INCUS_APT_DIR="${BERTH_INCUS_APT_DIR:-/var/lib/berth/incus-apt}"
export BERTH_INCUS_NODE1_DIR="${BERTH_INCUS_NODE1_DIR:-/var/lib/berth/incus/node1}"
export BERTH_INCUS_NODE2_DIR="${BERTH_INCUS_NODE2_DIR:-/var/lib/berth/incus/node2}"
export BERTH_INCUS_NODE1_ADDRESS="${BERTH_INCUS_NODE1_ADDRESS:-127.0.0.1:8543}"
export BERTH_INCUS_NODE2_ADDRESS="${BERTH_INCUS_NODE2_ADDRESS:-127.0.0.1:8544}"
export BERTH_INCUS_NODE1_LOG="${BERTH_INCUS_NODE1_LOG:-/var/log/berth-incus-node1.log}"
export BERTH_INCUS_NODE2_LOG="${BERTH_INCUS_NODE2_LOG:-/var/log/berth-incus-node2.log}"
export BERTH_INCUS_NODE1_PIDFILE="${BERTH_INCUS_NODE1_PIDFILE:-/run/berth/incus/node1.pid}"
export BERTH_INCUS_NODE2_PIDFILE="${BERTH_INCUS_NODE2_PIDFILE:-/run/berth/incus/node2.pid}"
export BERTH_INCUS_CLIENT_DIR="${BERTH_INCUS_CLIENT_DIR:-/var/lib/berth/incus/client}"
export BERTH_INCUS_IMAGE="${BERTH_INCUS_IMAGE:-berth-busybox}"
export BERTH_INCUS_EXEC_INSTANCE="${BERTH_INCUS_EXEC_INSTANCE:-berth-exec}"

# Where the daemons put things, derived from the above: each member's socket is in its state
# folder; both members serve HTTPS with the cluster's certificate (node1 makes it when it creates
# the cluster), which clients pin.
for _berth_p in LXD INCUS; do
    for _berth_n in 1 2; do
        _berth_v=BERTH_${_berth_p}_NODE${_berth_n}_DIR
        export "BERTH_${_berth_p}_NODE${_berth_n}_SOCKET=${!_berth_v}/unix.socket"
    done
    _berth_v=BERTH_${_berth_p}_NODE1_DIR
    export "BERTH_${_berth_p}_SERVER_CERT=${!_berth_v}/cluster.crt"
    _berth_v=BERTH_${_berth_p}_CLIENT_DIR
    export "BERTH_${_berth_p}_CLIENT_CERT=${!_berth_v}/client.crt"
    export "BERTH_${_berth_p}_CLIENT_KEY=${!_berth_v}/client.key"
done
unset _berth_p _berth_n _berth_v

# berth_lxd_env NODE, berth_incus_env NODE: print, one a line, the environment (for `env`) in
# which the daemon and client from the private root (lxd/lxc, incusd/incus) work on member NODE
# (1 or 2) over its Unix socket.
berth_lxd_env() { _berth_cluster_env LXD "$1"; }
berth_incus_env() { _berth_cluster_env INCUS "$1"; }

_berth_cluster_env() {
    local dir_var="BERTH_$1_NODE$2_DIR" root_var="BERTH_$1_ROOT" client_var="BERTH_$1_CLIENT_DIR" libdir path
    for libdir in "${!root_var}"/usr/lib/*-linux-gnu; do :; done
    path="${!root_var}/usr/bin:$PATH"
    # incus admin init runs incusd, which lives there; at the end, as other names there are common.
    [[ $1 == INCUS ]] && path+=":${!root_var}/usr/libexec/incus"
    printf '%s\n' "$1_DIR=${!dir_var}" "$1_CONF=${!client_var}/client-conf" "PATH=$path" \
        "LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

# berth_lxd NODE CMD..., berth_incus NODE CMD...: run CMD in that environment, e.g.
# `berth_lxd 1 lxc cluster list` or `berth_incus 2 incus list`.
berth_lxd() { _berth_cluster_run LXD "$@"; }
berth_incus() { _berth_cluster_run INCUS "$@"; }

_berth_cluster_run() {
    local -a vars=()
    mapfile -t vars < <(_berth_cluster_env "$1" "$2")
    shift 2
    env "${vars[@]}" "$@"
}

# berth_lxd_pid NODE, berth_incus_pid NODE: print the pid of member NODE's live daemon (an lxd or
# incusd started with that member's log file), or return 1. Trust the pid file only after
# checking the process.
berth_lxd_pid() { _berth_cluster_pid LXD lxd "$1"; }
berth_incus_pid() { _berth_cluster_pid INCUS incusd "$1"; }

_berth_cluster_pid() {
    local pidfile_var="BERTH_$1_NODE$3_PIDFILE" log_var="BERTH_$1_NODE$3_LOG" pid="" dir
    if [[ -r ${!pidfile_var} ]]; then
        read -r pid <"${!pidfile_var}" || true
        if [[ $pid =~ ^[0-9]+$ ]] && _berth_is_daemon_with "$pid" "$2" "${!log_var}"; then
            echo "$pid"
            return 0
        fi
    fi
    for dir in /proc/[0-9]*; do
        if _berth_is_daemon_with "${dir#/proc/}" "$2" "${!log_var}"; then
            echo "${dir#/proc/}"
            return 0
        fi
    done
    return 1
}

# _berth_is_daemon_with PID NAME LOG: true if PID runs NAME with LOG among its arguments.
_berth_is_daemon_with() {
    local -a argv=()
    local arg
    { mapfile -d '' -t argv <"/proc/$1/cmdline"; } 2>/dev/null || return 1
    ((${#argv[@]} > 0)) && [[ ${argv[0]##*/} == "$2" ]] || return 1
    for arg in "${argv[@]}"; do
        if [[ $arg == "$3" || $arg == "--logfile=$3" ]]; then
            berth_pid_alive "$1"
            return
        fi
    done
    return 1
}
