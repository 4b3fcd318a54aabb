#!/usr/bin/env bash
# Sets up the LXD cluster the lxd plugin's tests use, as root on Debian 12 without systemd: LXD
# 5.0.2's Debian packages unpacked into a private root (dpkg's database and /etc untouched), two
# daemons with private state folders joined as a cluster on loopback (node1, node2), the busybox
# image imported, and a client certificate trusted for HTTPS. Then a smoke test: an instance
# launched on node2 through node1 runs `echo ok` and is deleted. Idempotent: when everything is
# in place it only runs the smoke test; daemons that died are started again on their state.
# Paths are in runtime-env.sh (BERTH_LXD_*); stop-lxd.sh stops the daemons.
#
# Usage: setup-lxd.sh [--no-smoke]
# Output: "lxd: ok (5.0.2, ...)" on stdout; what it changes and what failed on stderr. Exit status:
# 0 when the cluster is up and the smoke test passed, 1 otherwise, 2 on a usage error.
set -euo pipefail
shopt -s inherit_errexit

scripts_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/runtime-env.sh
source "$scripts_dir/runtime-env.sh"
# shellcheck source=scripts/lib/busybox-rootfs.sh
source "$scripts_dir/lib/busybox-rootfs.sh"

readonly lock_file=/run/berth/lxd-setup.lock
readonly apt_log=/var/log/berth-setup-apt.log
# Unpacked, not installed. liblxc1, libuv1, libsqlite3-0 and rsync come from the system (lxc is
# installed by setup-runtimes.sh); lxd checks for unsquashfs and setfattr on PATH at start.
readonly -a lxd_pkgs=(lxd lxd-client libdqlite0 libraft2 attr squashfs-tools liblzo2-2)
readonly lxd_version=5.0.2
readonly stamp=$BERTH_LXD_ROOT/.berth-packages
readonly ready_timeout=60
readonly online_timeout=40

usage() {
    sed -n '2,12s/^# \{0,1\}//p' "$0"
}

step=lxd
note() { echo "$step: $*" >&2; }
fail() {
    echo "$step: error: $*" >&2
    exit 1
}

# run_logged SECONDS CMD...: runs CMD bounded and without a terminal, output kept in the work
# folder; on failure names the command and shows the end of its output.
run_logged() {
    local secs=$1 rc=0
    shift
    timeout -k 5 "$secs" "$@" </dev/null >"$work/cmd.log" 2>&1 || rc=$?
    ((rc == 0)) && return 0
    ((rc == 124)) && echo "$step: timed out after ${secs}s" >&2
    tail -n 15 "$work/cmd.log" | sed 's/^/    /' >&2
    fail "$(printf '%q ' "$@")failed (rc $rc)"
}

# query NODE [lxc query options] PATH: the JSON answer of member NODE's API, over its socket.
query() {
    local -n env_=lxd$1
    shift
    timeout -k 2 30 "${env_[@]}" lxc query "$@" </dev/null
}

# ---------------------------------------------------------------------------------------------
# The private root

ensure_root() {
    local want have="" pkg
    want=$(printf '%s\n' "${lxd_pkgs[@]}")
    [[ -r $stamp ]] && have=$(sed 's/=.*//' "$stamp")
    if [[ $have == "$want" && -x $BERTH_LXD_ROOT/usr/bin/lxd ]]; then
        return 0
    fi
    note "fetching ${lxd_pkgs[*]} into $BERTH_LXD_ROOT (log: $apt_log)"
    mkdir -p "$work/debs" "$(dirname -- "$BERTH_LXD_ROOT")"
    local -a download=(apt-get -o APT::Sandbox::User=root -o Dpkg::Use-Pty=0 download "${lxd_pkgs[@]}")
    if ! (cd "$work/debs" && timeout -k 10 600 "${download[@]}") </dev/null >>"$apt_log" 2>&1; then
        # A machine whose package lists were never fetched knows no lxd yet.
        note "apt-get download failed; updating the package lists and trying again"
        if ! {
            timeout -k 10 600 apt-get -o DPkg::Lock::Timeout=120 update &&
                (cd "$work/debs" && timeout -k 10 600 "${download[@]}")
        } </dev/null >>"$apt_log" 2>&1; then
            tail -n 15 "$apt_log" | sed 's/^/    /' >&2
            fail "apt-get download ${lxd_pkgs[*]} failed; see $apt_log"
        fi
    fi
    local new=$BERTH_LXD_ROOT.berth-new deb
    rm -rf "$new"
    mkdir -p "$new"
    : >"$new/.berth-packages"
    for pkg in "${lxd_pkgs[@]}"; do
        deb=$(compgen -G "$work/debs/${pkg}_*.deb") || fail "apt-get download left no $pkg package"
        dpkg-deb -x "$deb" "$new"
        echo "$pkg=$(dpkg-deb -f "$deb" Version)" >>"$new/.berth-packages"
    done
    rm -rf "$BERTH_LXD_ROOT"
    mv "$new" "$BERTH_LXD_ROOT"
    note "unpacked $(paste -sd' ' "$stamp")"
}

check_root() {
    local missing version
    missing=$("${lxd1[@]}" ldd "$BERTH_LXD_ROOT/usr/bin/lxd" | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | paste -sd' ')
    [[ -z $missing ]] || fail "lxd needs $missing, which the system lacks (liblxc1 comes with scripts/setup-runtimes.sh --only lxc)"
    for tool in rsync tar gzip openssl jq; do
        command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install $tool)"
    done
    version=$("${lxd1[@]}" lxd --version </dev/null) || fail "$BERTH_LXD_ROOT/usr/bin/lxd --version failed"
    [[ $version == "$lxd_version"* ]] || note "warning: LXD is $version, not $lxd_version as tested"
    lxd_found=$version
}

# ---------------------------------------------------------------------------------------------
# The daemons

# node_var NODE NAME: the value of BERTH_LXD_NODE<NODE>_<NAME>.
node_var() {
    local var="BERTH_LXD_NODE$1_$2"
    echo "${!var}"
}

# answers NODE: true if member NODE's daemon answers on its socket.
answers() {
    [[ -S $(node_var "$1" SOCKET) ]] && query "$1" /1.0 >/dev/null 2>&1
}

# start_node NODE: starts member NODE's daemon, detached, and records its pid.
start_node() {
    local node=$1 dir log pidfile
    local -n env_=lxd$node
    dir=$(node_var "$node" DIR) log=$(node_var "$node" LOG) pidfile=$(node_var "$node" PIDFILE)
    note "starting node$node's daemon on $dir (log: $log)"
    mkdir -p "$dir" "$(dirname -- "$log")" "$(dirname -- "$pidfile")" "$BERTH_LXD_CLIENT_DIR"
    chmod 0711 "$dir"
    rm -f "$pidfile"
    echo "=== $(date -Is) started by setup-lxd.sh" >>"$log"
    (
        # Detach completely: no caller's pipe, no lock, no working folder kept busy.
        cd /
        exec </dev/null >>"$log" 2>&1
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if ((fd > 2)); then eval "exec $fd>&-"; fi
        done
        # Not a process group leader (no job control here), so setsid execs in place: $! is it.
        exec setsid "${env_[@]}" "$BERTH_LXD_ROOT/usr/bin/lxd" --group root --logfile "$log"
    ) &
    echo "$!" >"$pidfile"
}

# wait_ready NODE: waits (bounded) until member NODE answers; fails if its daemon exits.
wait_ready() {
    local node=$1 pid deadline=$((SECONDS + ready_timeout))
    local -n env_=lxd$node
    pid=$(<"$(node_var "$node" PIDFILE)")
    while ((SECONDS < deadline)); do
        if ! berth_pid_alive "$pid"; then
            tail -n 15 "$(node_var "$node" LOG)" | sed 's/^/    /' >&2
            fail "node$node's daemon (pid $pid) exited during start-up; see $(node_var "$node" LOG)"
        fi
        if answers "$node" && timeout -k 2 10 "${env_[@]}" lxd waitready --timeout=5 </dev/null >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    tail -n 15 "$(node_var "$node" LOG)" | sed 's/^/    /' >&2
    fail "node$node's daemon (pid $pid) was not ready within ${ready_timeout}s; see $(node_var "$node" LOG)"
}

# ensure_running NODE...: starts the members whose daemon is not running, then waits for all.
# Members of a cluster are started together: each may wait for the other's database.
ensure_running() {
    local node pid
    for node in "$@"; do
        if pid=$(berth_lxd_pid "$node"); then
            echo "$pid" >"$(node_var "$node" PIDFILE)"
        else
            start_node "$node"
        fi
    done
    for node in "$@"; do
        wait_ready "$node"
    done
}

# ---------------------------------------------------------------------------------------------
# The cluster

# preseed NODE JSON: `lxd init --preseed` on member NODE (YAML is a superset of JSON).
preseed() {
    printf '%s\n' "$2" >"$work/preseed.yaml"
    local -n env_=lxd$1
    # shellcheck disable=SC2016 # $1 is sh's
    run_logged 120 "${env_[@]}" sh -c 'exec lxd init --preseed <"$1"' sh "$work/preseed.yaml"
}

setup_node1() {
    local pools cluster
    pools=$(query 1 /1.0/storage-pools) || fail "node1 does not list its storage pools"
    if [[ $(jq -r 'map(select(endswith("/default"))) | length' <<<"$pools") == 0 ]]; then
        note "initialising node1: dir storage pool, no network, cluster on $BERTH_LXD_NODE1_ADDRESS"
        # No network: the default would add an lxdbr0 bridge with NAT and dnsmasq.
        preseed 1 "$(jq -n --arg addr "$BERTH_LXD_NODE1_ADDRESS" '{
            config: {"core.https_address": $addr},
            storage_pools: [{name: "default", driver: "dir"}],
            profiles: [{name: "default", devices: {root: {path: "/", pool: "default", type: "disk"}}}],
            cluster: {server_name: "node1", enabled: true}
        }')"
    fi
    cluster=$(query 1 /1.0/cluster) || fail "node1 does not answer /1.0/cluster"
    if [[ $(jq -r .enabled <<<"$cluster") != true ]]; then
        note "enabling clustering on node1"
        run_logged 60 "${lxd1[@]}" lxc config set core.https_address "$BERTH_LXD_NODE1_ADDRESS"
        run_logged 60 "${lxd1[@]}" lxc cluster enable node1
    fi
}

members() {
    query 1 '/1.0/cluster/members?recursion=1'
}

setup_node2() {
    local list node2_cluster="" token
    list=$(members) || fail "node1 does not list the cluster's members"
    if berth_lxd_pid 2 >/dev/null || [[ -d $BERTH_LXD_NODE2_DIR/database ]]; then
        ensure_running 2
        node2_cluster=$(query 2 /1.0/cluster | jq -r .enabled) || true
    fi
    if [[ $(jq -r 'map(select(.server_name == "node2")) | length' <<<"$list") == 1 ]]; then
        [[ $node2_cluster == true ]] && return 0
        note "node1 lists node2 but node2's state has no cluster: removing node2 from the cluster"
        run_logged 60 "${lxd1[@]}" lxc cluster remove --force --yes node2
    fi
    # node2 is joined from an empty state folder.
    if pid=$(berth_lxd_pid 2); then
        note "stopping node2 (pid $pid) to join it afresh"
        "$scripts_dir/stop-lxd.sh" --quiet --node 2 || fail "could not stop node2"
    fi
    if [[ -e $BERTH_LXD_NODE2_DIR ]]; then
        note "removing node2's old state $BERTH_LXD_NODE2_DIR"
        # LXD mounts tmpfs's under its state folder; they go first.
        local mnt
        while read -r mnt; do
            umount -l "$mnt" 2>/dev/null || true
        done < <(awk -v d="$BERTH_LXD_NODE2_DIR/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
        rm -rf "$BERTH_LXD_NODE2_DIR"
    fi
    ensure_running 2
    "${lxd1[@]}" lxc cluster revoke-token node2 </dev/null >/dev/null 2>&1 || true
    token=$(timeout -k 2 30 "${lxd1[@]}" lxc cluster add node2 </dev/null | tail -n 1) ||
        fail "node1 gave no join token for node2"
    note "joining node2 ($BERTH_LXD_NODE2_ADDRESS) to the cluster"
    preseed 2 "$(jq -n --arg addr "$BERTH_LXD_NODE2_ADDRESS" --arg cluster "$BERTH_LXD_NODE1_ADDRESS" \
        --arg token "$token" --rawfile cert "$BERTH_LXD_SERVER_CERT" '{
        cluster: {enabled: true, server_name: "node2", server_address: $addr,
            cluster_address: $cluster, cluster_certificate: $cert, cluster_token: $token,
            member_config: [{entity: "storage-pool", name: "default", key: "source", value: ""}]}
    }')"
}

# ---------------------------------------------------------------------------------------------
# The image and the client certificate

setup_image() {
    if query 1 "/1.0/images/aliases/$BERTH_LXD_IMAGE" >/dev/null 2>&1; then
        return 0
    fi
    note "importing the image $BERTH_LXD_IMAGE from /bin/busybox"
    local rootfs=$work/rootfs
    berth_busybox_rootfs "$rootfs"
    # LXD starts /sbin/init and stops an instance with SIGPWR: an init that sleeps and obeys it.
    rm -f "$rootfs/sbin/init"
    cat >"$rootfs/sbin/init" <<'EOF'
#!/bin/sh
trap 'exit 0' PWR TERM INT
while :; do sleep 3600 & wait $!; done
EOF
    chmod 0755 "$rootfs/sbin/init"
    cat >"$work/metadata.yaml" <<EOF
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: berth busybox ($(/bin/busybox | head -n 1 | cut -d' ' -f2))
  os: busybox
  release: berth
EOF
    tar --numeric-owner --owner=0 --group=0 -C "$work" -czf "$work/meta.tar.gz" metadata.yaml
    tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -czf "$work/rootfs.tar.gz" .
    run_logged 120 "${lxd1[@]}" lxc image import "$work/meta.tar.gz" "$work/rootfs.tar.gz" --alias "$BERTH_LXD_IMAGE"
}

setup_client_cert() {
    mkdir -p "$BERTH_LXD_CLIENT_DIR"
    chmod 0700 "$BERTH_LXD_CLIENT_DIR"
    if [[ ! -s $BERTH_LXD_CLIENT_CERT || ! -s $BERTH_LXD_CLIENT_KEY ]]; then
        note "making the client certificate $BERTH_LXD_CLIENT_CERT"
        run_logged 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes \
            -keyout "$BERTH_LXD_CLIENT_KEY.berth-tmp" -out "$BERTH_LXD_CLIENT_CERT.berth-tmp" \
            -days 3650 -subj /CN=berth-test -addext keyUsage=digitalSignature -addext extendedKeyUsage=clientAuth
        chmod 0600 "$BERTH_LXD_CLIENT_KEY.berth-tmp"
        mv -f "$BERTH_LXD_CLIENT_KEY.berth-tmp" "$BERTH_LXD_CLIENT_KEY"
        mv -f "$BERTH_LXD_CLIENT_CERT.berth-tmp" "$BERTH_LXD_CLIENT_CERT"
    fi
    local fingerprint certs
    fingerprint=$(openssl x509 -in "$BERTH_LXD_CLIENT_CERT" -outform DER | sha256sum | cut -d' ' -f1)
    certs=$(query 1 /1.0/certificates) || fail "node1 does not list its trusted certificates"
    if [[ $certs != *"/$fingerprint\""* ]]; then
        note "trusting $BERTH_LXD_CLIENT_CERT (sha256 $fingerprint)"
        run_logged 30 "${lxd1[@]}" lxc config trust add "$BERTH_LXD_CLIENT_CERT" --name berth-test
    fi
}

# ---------------------------------------------------------------------------------------------

# check_members: waits (bounded) until node1 reports every member online. node1 marks a member
# online again only at its next heartbeat (about every 10 s), even when that member's daemon
# has been answering for a while, e.g. after a restart.
check_members() {
    local list offline deadline=$((SECONDS + online_timeout))
    while :; do
        list=$(members) || fail "node1 does not list the cluster's members"
        offline=$(jq -r 'map(select(.status != "Online") | "\(.server_name) \(.status) (\(.message))") | join(", ")' <<<"$list")
        [[ -n $offline ]] || return 0
        ((SECONDS < deadline)) || fail "cluster members not online after ${online_timeout}s: $offline"
        sleep 0.5
    done
}

smoke() {
    local name=berth-smoke-$$ out
    smoke_instance=$name
    run_logged 60 "${lxd1[@]}" lxc launch "$BERTH_LXD_IMAGE" "$name" --target node2 -c security.privileged=true
    out=$(timeout -k 2 30 "${lxd1[@]}" lxc exec "$name" -- echo ok </dev/null 2>"$work/smoke.err") || true
    [[ $out == ok ]] || {
        sed 's/^/    /' "$work/smoke.err" >&2
        fail "smoke test: lxc exec $name -- echo ok printed '${out:0:200}'"
    }
    run_logged 60 "${lxd1[@]}" lxc delete --force "$name"
    smoke_instance=""
}

# shellcheck disable=SC2317 # called by `trap`
cleanup() {
    if [[ -n ${smoke_instance:-} ]]; then
        timeout -k 2 30 "${lxd1[@]}" lxc delete --force "$smoke_instance" </dev/null >/dev/null 2>&1 || true
    fi
    if [[ -n ${work:-} ]]; then
        rm -rf "$work"
    fi
}

do_smoke=1
while (($# > 0)); do
    case $1 in
        --no-smoke) do_smoke=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

[[ $EUID == 0 ]] || { echo "setup-lxd: run as root (it starts daemons that create containers)" >&2; exit 1; }
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    echo "setup-lxd: needs a Debian system (apt-get, dpkg-deb)" >&2
    exit 1
fi

mkdir -p "$(dirname -- "$lock_file")"
exec {lock_fd}>"$lock_file"
flock -w 600 "$lock_fd" || fail "$lock_file stayed locked for 600 s"

smoke_instance="" work=""
trap 'echo "$step: error: line $LINENO: $BASH_COMMAND failed (rc $?)" >&2' ERR
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d /tmp/berth-setup-lxd.XXXXXX)

ensure_root
# `env VAR=...` prefixes (once the root is there): lxd and lxc from it, talking to node1 or node2.
mapfile -t lxd1 < <(berth_lxd_env 1)
mapfile -t lxd2 < <(berth_lxd_env 2)
lxd1=(env "${lxd1[@]}") lxd2=(env "${lxd2[@]}")
check_root
nodes=(1)
[[ -d $BERTH_LXD_NODE2_DIR/database ]] && nodes+=(2)
ensure_running "${nodes[@]}"
setup_node1
setup_node2
setup_image
setup_client_cert
check_members
((do_smoke)) && smoke
echo "lxd: ok ($lxd_found; cluster node1 $BERTH_LXD_NODE1_ADDRESS, node2 $BERTH_LXD_NODE2_ADDRESS; image $BERTH_LXD_IMAGE)"
