#!/usr/bin/env bash
# Sets up the LXD (or Incus) cluster the lxd plugin's tests use, as root on Debian 12 without
# systemd: the Debian packages unpacked into a private root (dpkg's database and /etc untouched),
# two daemons with private state folders joined as a cluster on loopback (node1, node2), the
# busybox image imported, a client certificate trusted for HTTPS, and a running instance for
# sessions in exec mode. Then a smoke test: an
# instance launched on node2 through node1 runs `echo ok` and is deleted. Idempotent: when all is
# in place it only runs the smoke test; daemons that died are started again on their state.
# Paths are in runtime-env.sh (BERTH_LXD_*, BERTH_INCUS_*); stop-lxd.sh stops the daemons.
#
# Usage: setup-lxd.sh [--incus] [--no-smoke]   (--incus: Incus 6.0.4 from bookworm-backports)
# Output: "lxd: ok (5.0.2; ...)" on stdout; what it changes and what failed on stderr. Exit
# status: 0 when the cluster is up and the smoke test passed, 1 otherwise, 2 on a usage error.
set -euo pipefail
shopt -s inherit_errexit

scripts_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/runtime-env.sh
source "$scripts_dir/runtime-env.sh"
# shellcheck source=scripts/lib/busybox-rootfs.sh
source "$scripts_dir/lib/busybox-rootfs.sh"

readonly apt_log=/var/log/berth-setup-apt.log
readonly ready_timeout=60
readonly online_timeout=40

usage() {
    sed -n '2,13s/^# \{0,1\}//p' "$0"
}

# flavor_lxd, flavor_incus: what differs between the two.
flavor_lxd() {
    P=LXD step=lxd client=lxc daemon=lxd want_version=5.0.2
    # Unpacked, not installed. liblxc1, libuv1, libsqlite3-0 and rsync come from the system (lxc
    # is installed by setup-runtimes.sh); lxd checks for unsquashfs and setfattr on PATH at start.
    pkgs=(lxd lxd-client libdqlite0 libraft2 attr squashfs-tools liblzo2-2)
    daemon_path=usr/bin/lxd
    admin=(lxd) # lxd init, lxd waitready
    trust_add=(config trust add)
}

flavor_incus() {
    P=INCUS step=incus client=incus daemon=incusd want_version=6.0.4
    pkgs=(incus-base incus-client libcowsql0 libraft0 attr squashfs-tools liblzo2-2)
    daemon_path=usr/libexec/incus/incusd
    admin=(incus admin)
    trust_add=(config trust add-certificate)
}

step=lxd
# shellcheck source=scripts/lib/steps.sh
source "$scripts_dir/lib/steps.sh"

# query NODE [lxc query options] PATH: the JSON answer of member NODE's API, over its socket.
query() {
    local -n env_=on$1
    shift
    timeout -k 2 30 "${env_[@]}" "$client" query "$@" </dev/null
}

# ---------------------------------------------------------------------------------------------
# The private root

ensure_root() {
    local want have="" pkg stamp=$root/.berth-packages
    want=$(printf '%s\n' "${pkgs[@]}")
    [[ -r $stamp ]] && have=$(sed 's/=.*//' "$stamp")
    if [[ $have == "$want" && -x $root/$daemon_path ]]; then
        return 0
    fi
    note "fetching ${pkgs[*]} into $root (log: $apt_log)"
    mkdir -p "$work/debs" "$(dirname -- "$root")"
    local -a apt=(apt-get -o APT::Sandbox::User=root -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120)
    if [[ $P == INCUS ]]; then
        # bookworm-backports through a private configuration: the system's sources, lists and
        # cache stay as they are.
        local apt_dir=$BERTH_INCUS_APT_DIR suite
        mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
        for suite in bookworm bookworm-updates bookworm-backports; do
            echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main"
        done >"$apt_dir/sources.list"
        apt+=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
    fi
    echo "=== $(date -Is) setup-lxd.sh: apt-get download ${pkgs[*]}" >>"$apt_log"
    if ! (cd "$work/debs" && timeout -k 10 600 "${apt[@]}" download "${pkgs[@]}") </dev/null >>"$apt_log" 2>&1; then
        # Package lists never fetched (or, for Incus, not yet fetched) know none of them.
        note "apt-get download failed; updating the package lists and trying again"
        if ! {
            timeout -k 10 600 "${apt[@]}" update &&
                (cd "$work/debs" && timeout -k 10 600 "${apt[@]}" download "${pkgs[@]}")
        } </dev/null >>"$apt_log" 2>&1; then
            tail -n 15 "$apt_log" | sed 's/^/    /' >&2
            fail "apt-get download ${pkgs[*]} failed; see $apt_log"
        fi
    fi
    local new=$root.berth-new deb
    rm -rf "$new"
    mkdir -p "$new"
    : >"$new/.berth-packages"
    for pkg in "${pkgs[@]}"; do
        deb=$(compgen -G "$work/debs/${pkg}_*.deb" | head -n 1) || fail "apt-get download left no $pkg package"
        dpkg-deb -x "$deb" "$new"
        echo "$pkg=$(dpkg-deb -f "$deb" Version)" >>"$new/.berth-packages"
    done
    rm -rf "$root"
    mv "$new" "$root"
    note "unpacked $(paste -sd' ' "$stamp")"
}

# daemon_pid NODE: the pid of member NODE's daemon, or return 1.
daemon_pid() {
    "berth_${step}_pid" "$1"
}

check_root() {
    local missing version
    missing=$("${on1[@]}" ldd "$root/$daemon_path" | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | paste -sd' ')
    [[ -z $missing ]] || fail "$daemon needs $missing, which the system lacks (liblxc1 comes with scripts/setup-runtimes.sh --only lxc)"
    for tool in rsync tar gzip openssl jq; do
        command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install $tool)"
    done
    version=$("${on1[@]}" "$root/$daemon_path" --version </dev/null) || fail "$root/$daemon_path --version failed"
    [[ $version == "$want_version"* ]] || note "warning: $daemon is $version, not $want_version as tested"
    found=$version
}

# ---------------------------------------------------------------------------------------------
# The daemons

# node_var NODE NAME: the value of BERTH_<flavor>_NODE<NODE>_<NAME>.
node_var() {
    local var="BERTH_${P}_NODE$1_$2"
    echo "${!var}"
}

# var NAME: the value of BERTH_<flavor>_<NAME>.
var() {
    local var="BERTH_${P}_$1"
    echo "${!var}"
}

# answers NODE: true if member NODE's daemon answers on its socket.
answers() {
    [[ -S $(node_var "$1" SOCKET) ]] && query "$1" /1.0 >/dev/null 2>&1
}

# start_node NODE: starts member NODE's daemon, detached, and records its pid.
start_node() {
    local node=$1 dir log pidfile
    local -n env_=on$node
    dir=$(node_var "$node" DIR) log=$(node_var "$node" LOG) pidfile=$(node_var "$node" PIDFILE)
    note "starting node$node's daemon on $dir (log: $log)"
    mkdir -p "$dir" "$(dirname -- "$log")" "$(dirname -- "$pidfile")" "$client_dir"
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
        exec setsid "${env_[@]}" "$root/$daemon_path" --group root --logfile "$log"
    ) &
    echo "$!" >"$pidfile"
}

# wait_ready NODE: waits (bounded) until member NODE answers; fails if its daemon exits.
wait_ready() {
    local node=$1 pid deadline=$((SECONDS + ready_timeout))
    local -n env_=on$node
    pid=$(<"$(node_var "$node" PIDFILE)")
    while ((SECONDS < deadline)); do
        if ! berth_pid_alive "$pid"; then
            tail -n 15 "$(node_var "$node" LOG)" | sed 's/^/    /' >&2
            fail "node$node's daemon (pid $pid) exited during start-up; see $(node_var "$node" LOG)"
        fi
        # Incus 6.0.4 can still answer "Server isn't ready yet" to instance requests after
        # waitready: listing the instances is the proof.
        if answers "$node" && timeout -k 2 10 "${env_[@]}" "${admin[@]}" waitready --timeout=5 </dev/null >/dev/null 2>&1 &&
            query "$node" /1.0/instances >/dev/null 2>&1; then
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
        if pid=$(daemon_pid "$node"); then
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
    local -n env_=on$1
    # shellcheck disable=SC2016 # $1 is sh's
    run_logged 120 "${env_[@]}" sh -c 'f=$1; shift; exec "$@" init --preseed <"$f"' sh "$work/preseed.yaml" "${admin[@]}"
}

setup_node1() {
    local pools cluster
    pools=$(query 1 /1.0/storage-pools) || fail "node1 does not list its storage pools"
    cluster=$(query 1 /1.0/cluster) || fail "node1 does not answer /1.0/cluster"
    # (incus query prints nothing for an empty list)
    if [[ $(jq -r 'map(select(endswith("/default"))) | length' <<<"${pools:-[]}") == 0 ]]; then
        [[ $(jq -r .enabled <<<"$cluster") != true ]] ||
            fail "node1 is clustered but has no storage pool 'default' (an interrupted set-up?): run stop-lxd.sh ${stop_flavor[*]}, remove $(node_var 1 DIR) and $node2_dir, and run this again"
        note "initialising node1: dir storage pool, no network, cluster on $node1_address"
        # No network: the default would add an lxdbr0 bridge with NAT and dnsmasq.
        preseed 1 "$(jq -n --arg addr "$node1_address" '{
            config: {"core.https_address": $addr},
            storage_pools: [{name: "default", driver: "dir"}],
            profiles: [{name: "default", devices: {root: {path: "/", pool: "default", type: "disk"}}}],
            cluster: {server_name: "node1", enabled: true}
        }')"
    fi
    cluster=$(query 1 /1.0/cluster) || fail "node1 does not answer /1.0/cluster"
    if [[ $(jq -r .enabled <<<"$cluster") != true ]]; then
        note "enabling clustering on node1"
        run_logged 60 "${on1[@]}" "$client" config set core.https_address "$node1_address"
        run_logged 60 "${on1[@]}" "$client" cluster enable node1
    fi
}

members() {
    query 1 '/1.0/cluster/members?recursion=1'
}

setup_node2() {
    local list node2_cluster="" token
    list=$(members) || fail "node1 does not list the cluster's members"
    if daemon_pid 2 >/dev/null || [[ -d $node2_dir/database ]]; then
        ensure_running 2
        node2_cluster=$(query 2 /1.0/cluster | jq -r .enabled) || true
    fi
    if [[ $(jq -r 'map(select(.server_name == "node2")) | length' <<<"$list") == 1 ]]; then
        [[ $node2_cluster == true ]] && return 0
        note "node1 lists node2 but node2's state has no cluster: removing node2 from the cluster"
        run_logged 60 "${on1[@]}" "$client" cluster remove --force --yes node2
    fi
    # node2 is joined from an empty state folder.
    if pid=$(daemon_pid 2); then
        note "stopping node2 (pid $pid) to join it afresh"
        "$scripts_dir/stop-lxd.sh" --quiet "${stop_flavor[@]}" --node 2 || fail "could not stop node2"
    fi
    if [[ -e $node2_dir ]]; then
        note "removing node2's old state $node2_dir"
        # LXD mounts tmpfs's under its state folder; they go first.
        local mnt
        while read -r mnt; do
            umount -l "$mnt" 2>/dev/null || true
        done < <(awk -v d="$node2_dir/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
        rm -rf "$node2_dir"
    fi
    ensure_running 2
    "${on1[@]}" "$client" cluster revoke-token node2 </dev/null >/dev/null 2>&1 || true
    token=$(timeout -k 2 30 "${on1[@]}" "$client" cluster add node2 </dev/null | tail -n 1) ||
        fail "node1 gave no join token for node2"
    note "joining node2 ($node2_address) to the cluster"
    preseed 2 "$(jq -n --arg addr "$node2_address" --arg cluster "$node1_address" \
        --arg token "$token" --rawfile cert "$server_cert" '{
        cluster: {enabled: true, server_name: "node2", server_address: $addr,
            cluster_address: $cluster, cluster_certificate: $cert, cluster_token: $token,
            member_config: [{entity: "storage-pool", name: "default", key: "source", value: ""}]}
    }')"
}

# ---------------------------------------------------------------------------------------------
# The image and the client certificate

setup_image() {
    if query 1 "/1.0/images/aliases/$image" >/dev/null 2>&1; then
        return 0
    fi
    note "importing the image $image from /bin/busybox"
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
    run_logged 120 "${on1[@]}" "$client" image import "$work/meta.tar.gz" "$work/rootfs.tar.gz" --alias "$image"
}

setup_client_cert() {
    mkdir -p "$client_dir"
    chmod 0700 "$client_dir"
    if [[ ! -s $client_cert || ! -s $client_key ]]; then
        note "making the client certificate $client_cert"
        run_logged 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes \
            -keyout "$client_key.berth-tmp" -out "$client_cert.berth-tmp" \
            -days 3650 -subj /CN=berth-test -addext keyUsage=digitalSignature -addext extendedKeyUsage=clientAuth
        chmod 0600 "$client_key.berth-tmp"
        mv -f "$client_key.berth-tmp" "$client_key"
        mv -f "$client_cert.berth-tmp" "$client_cert"
    fi
    local fingerprint certs
    fingerprint=$(openssl x509 -in "$client_cert" -outform DER | sha256sum | cut -d' ' -f1)
    certs=$(query 1 /1.0/certificates) || fail "node1 does not list its trusted certificates"
    if [[ $certs != *"/$fingerprint\""* ]]; then
        note "trusting $client_cert (sha256 $fingerprint)"
        run_logged 30 "${on1[@]}" "$client" "${trust_add[@]}" "$client_cert" --name berth-test
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

# until_ready CMD...: runs CMD (bounded) like run_logged, but again (for 30 s at most) while it
# fails with Incus's "Server isn't ready yet", which a member can still answer after a restart.
until_ready() {
    local deadline=$((SECONDS + 30)) rc
    while :; do
        rc=0
        timeout -k 5 60 "$@" </dev/null >"$work/cmd.log" 2>&1 || rc=$?
        ((rc == 0)) && return 0
        if ! grep -q "isn't ready yet" "$work/cmd.log" || ((SECONDS >= deadline)); then
            break
        fi
        sleep 1
    done
    tail -n 15 "$work/cmd.log" | sed 's/^/    /' >&2
    fail "$(printf '%q ' "$@")failed (rc $rc)"
}

# setup_exec_instance: the running instance that sessions in exec mode enter (the conformance
# suite's), on node1; HTTPS tests reach it through node2, so their exec crosses the cluster.
setup_exec_instance() {
    local state=""
    if ! state=$(query 1 "/1.0/instances/$exec_instance/state" 2>/dev/null); then
        note "creating instance $exec_instance on node1"
        until_ready "${on1[@]}" "$client" init "$image" "$exec_instance" --target node1 \
            -c security.privileged=true
    fi
    if [[ ! $state =~ \"status\":\ *\"Running\" ]]; then
        note "starting instance $exec_instance"
        until_ready "${on1[@]}" "$client" start "$exec_instance"
    fi
}

smoke() {
    local name="" try out rc deadline=$((SECONDS + 30))
    # After a restart an Incus member can answer "Server isn't ready yet" for a few seconds, and
    # its client may even panic; a create that failed so may still have made the instance, which
    # then cannot be deleted yet either. So each try has a name of its own, and all are deleted.
    for ((try = 1; ; try++)); do
        name=berth-smoke-$$-$try
        smoke_instances+=("$name")
        rc=0
        timeout -k 5 60 "${on1[@]}" "$client" init "$image" "$name" --target node2 \
            -c security.privileged=true </dev/null >"$work/cmd.log" 2>&1 || rc=$?
        ((rc == 0)) && break
        if ! grep -qE "isn't ready yet|^panic:" "$work/cmd.log" || ((SECONDS >= deadline)); then
            tail -n 15 "$work/cmd.log" | sed 's/^/    /' >&2
            fail "smoke test: $client init $image $name --target node2 failed (rc $rc)"
        fi
        note "smoke test: $(grep -m1 -oE "isn't ready yet|^panic:.*" "$work/cmd.log" | cut -c1-80); trying again"
        sleep 1
    done
    until_ready "${on1[@]}" "$client" start "$name"
    out=$(timeout -k 2 30 "${on1[@]}" "$client" exec "$name" -- echo ok </dev/null 2>"$work/smoke.err") || true
    [[ $out == ok ]] || {
        sed 's/^/    /' "$work/smoke.err" >&2
        fail "smoke test: $client exec $name -- echo ok printed '${out:0:200}'"
    }
    delete_smoke_instances || fail "smoke test: could not delete ${smoke_instances[*]}"
}

# delete_smoke_instances: deletes the smoke test's instances, again for 30 s at most while a member
# is not ready; false if some remain.
delete_smoke_instances() {
    local name deadline=$((SECONDS + 30))
    local -a left=()
    while ((${#smoke_instances[@]} > 0)); do
        left=()
        for name in "${smoke_instances[@]}"; do
            timeout -k 2 30 "${on1[@]}" "$client" delete --force "$name" </dev/null >/dev/null 2>&1 && continue
            [[ $(query 1 "/1.0/instances/$name" 2>&1 >/dev/null) == *"not found"* ]] && continue
            left+=("$name")
        done
        smoke_instances=("${left[@]}")
        ((${#smoke_instances[@]} == 0)) && return 0
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
}

# shellcheck disable=SC2317 # called by `trap`
cleanup() {
    if ((${#smoke_instances[@]} > 0)) && ! delete_smoke_instances; then
        echo "$step: error: could not delete ${smoke_instances[*]}; delete them by hand" >&2
    fi
    if [[ -n ${work:-} ]]; then
        rm -rf "$work"
    fi
}

do_smoke=1
flavor_lxd
stop_flavor=()
while (($# > 0)); do
    case $1 in
        --no-smoke) do_smoke=0; shift ;;
        --incus) flavor_incus; stop_flavor=(--incus); shift ;;
        --lxd) flavor_lxd; stop_flavor=(); shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

root=$(var ROOT) image=$(var IMAGE) exec_instance=$(var EXEC_INSTANCE) server_cert=$(var SERVER_CERT)
client_dir=$(var CLIENT_DIR) client_cert=$(var CLIENT_CERT) client_key=$(var CLIENT_KEY)
node1_address=$(node_var 1 ADDRESS) node2_address=$(node_var 2 ADDRESS) node2_dir=$(node_var 2 DIR)
lock_file=/run/berth/$step-setup.lock

[[ $EUID == 0 ]] || { echo "setup-lxd: run as root (it starts daemons that create containers)" >&2; exit 1; }
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    echo "setup-lxd: needs a Debian system (apt-get, dpkg-deb)" >&2
    exit 1
fi

mkdir -p "$(dirname -- "$lock_file")"
exec {lock_fd}>"$lock_file"
flock -w 600 "$lock_fd" || fail "$lock_file stayed locked for 600 s"

smoke_instances=() work=""
trap 'echo "$step: error: line $LINENO: $BASH_COMMAND failed (rc $?)" >&2' ERR
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d /tmp/berth-setup-lxd.XXXXXX)

ensure_root
# `env VAR=...` prefixes (once the root is there): daemon and client from it, on node1 or node2.
mapfile -t on1 < <("berth_${step}_env" 1)
mapfile -t on2 < <("berth_${step}_env" 2)
on1=(env "${on1[@]}") on2=(env "${on2[@]}")
check_root
nodes=(1)
[[ -d $node2_dir/database ]] && nodes+=(2)
ensure_running "${nodes[@]}"
setup_node1
setup_node2
setup_image
setup_client_cert
check_members
setup_exec_instance
((do_smoke)) && smoke
echo "$step: ok ($found; cluster node1 $node1_address, node2 $node2_address; image $image; instance $exec_instance)"
