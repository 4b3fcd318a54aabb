#!/usr/bin/env bash
# The Debian packages from outside (issue 16), as a user and CI get them: installs every .deb
# that scripts/package.sh made, then
#   - the packages are installed, the group berth exists, berthd's conffile and units and its
#     dpkg trigger on the plugin directory are in place;
#   - `berth plugin ls` lists each plugin from /usr/lib/<multiarch>/berth/plugins;
#   - `berth run local -- sh -c 'exit 3'` exits 3;
#   - berthd started the way berthd.service starts it (its ExecStart, socket activation with
#     systemd-socket-activate when there is one, else LISTEN_FDS/LISTEN_PID set by hand, and a
#     NOTIFY_SOCKET that must get READY=1) serves a session, to root and to a member of the
#     group berth, and not to a user outside it;
#   - berth mcp answers an MCP client's initialize and runs a command through that berthd;
#   - removing berth-plugin-podman makes berthd's dpkg trigger send the running berthd SIGHUP,
#     which retires the podman plugin while the open sessions go on; installing it again brings
#     podman back the same way;
#   - the plugin template (/usr/share/berth/plugin-template) builds out of tree against
#     berth-sdk-dev alone and passes berth-conformance and `berth plugin validate`, and a C
#     program builds against libberth-host-dev with pkg-config and runs a session;
#   - purging every package leaves none of their files behind.
#
# Usage: tests/packaging/deb_test.sh DEB_DIR      (DEB_DIR: where scripts/package.sh put them)
# As root, on a machine where nothing else uses berth's packages: it installs and purges them
# system-wide (apt-get; the runtimes podman, containerd and lxc come in as dependencies when
# missing). BERTH_DEB_TEST_KEEP=1 leaves them installed after a failure, to look around.
#
# scripts/test.sh runs it as its last stage, after scripts/package.sh. Under CI=true a run that
# was killed before its purge does not fail the next one: berth's packages found installed are
# purged first; a missing busybox image (scripts/setup-runtimes.sh) fails instead of skipping
# the podman session.
set -euo pipefail

[[ $# -eq 1 && -d $1 ]] || {
    echo "usage: $0 DEB_DIR" >&2
    exit 2
}
debs=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
packages=(berth berthd berth-plugin-local berth-plugin-podman berth-plugin-containerd
    berth-plugin-lxc berth-plugin-lxd libberth-host1 libberth-host-dev berth-sdk-dev)
runtimes=(local podman containerd lxc lxd)

tmp=$(mktemp -d)
chmod 0755 "$tmp" # a user outside root (the group check below) reaches the socket in it
berthd_pid=""
notify_pid=""
purged=0

step() { echo "deb_test: $*"; }
fail() {
    echo "deb_test: FAIL: $*" >&2
    if [[ -s $tmp/berthd.log ]]; then
        echo "deb_test: berthd's log (last lines):" >&2
        tail -n 30 "$tmp/berthd.log" | sed 's/^/    /' >&2
    fi
    exit 1
}
status_of() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null || true; } # "ii ", "un ", ...
installed() { [[ $(status_of "$1") == i* ]]; }
purge_all() {
    local -a present=()
    local p
    for p in "${packages[@]}"; do installed "$p" && present+=("$p"); done
    ((${#present[@]} == 0)) && return 0
    apt-get -o DPkg::Lock::Timeout=120 purge -y "${present[@]}" >>"$tmp/apt.log" 2>&1
}
stop_pid() { # pid: SIGTERM, then wait for it (our child, so no zombie is left)
    [[ -n $1 ]] || return 0
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
cleanup() {
    local status=$?
    stop_pid "$berthd_pid"
    stop_pid "$notify_pid"
    if ((!purged)) && [[ ${BERTH_DEB_TEST_KEEP:-} != 1 || $status == 0 ]]; then
        purge_all || echo "deb_test: could not purge berth's packages; see $tmp/apt.log" >&2
    fi
    [[ $status == 0 ]] || { [[ -f $tmp/apt.log ]] && cp "$tmp/apt.log" /tmp/berth-deb-test-apt.log; }
    rm -rf "$tmp"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: until COMMAND succeeds, polling every 0.1 s.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

[[ $EUID == 0 ]] || fail "run as root: this installs and purges berth's packages"
for p in "${packages[@]}"; do
    installed "$p" || continue
    [[ ${CI:-} == true ]] ||
        fail "$p is already installed; purge berth's packages first (apt-get purge ${packages[*]})"
    step "CI: berth's packages are installed (a run killed before its purge?): purging them first"
    purge_all || fail "could not purge the packages left installed: $(tail -n 20 "$tmp/apt.log")"
    break
done
shopt -s nullglob
deb_files=("$debs"/*.deb)
shopt -u nullglob
((${#deb_files[@]} > 0)) || fail "no .deb in $debs (make them with scripts/package.sh)"
for p in "${packages[@]}"; do
    compgen -G "$debs/${p}_*.deb" >/dev/null || fail "$debs has no ${p}_*.deb"
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
plugdir=/usr/lib/$multiarch/berth/plugins
unset BERTH_PLUGIN_PATH BERTH_PLUGIN_SYSTEM_PATH BERTH_SOCKET

# ---- install -------------------------------------------------------------------------------
step "apt-get install ${deb_files[*]##*/}"
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=120 -o Dpkg::Use-Pty=0)
if ! "${apt[@]}" install -y --no-install-recommends "${deb_files[@]}" >"$tmp/apt.log" 2>&1; then
    # A dependency (a runtime) missing and the package lists old: once more after an update.
    "${apt[@]}" update >>"$tmp/apt.log" 2>&1 || true
    "${apt[@]}" install -y --no-install-recommends "${deb_files[@]}" >>"$tmp/apt.log" 2>&1 ||
        fail "apt-get install failed: $(tail -n 20 "$tmp/apt.log")"
fi
for p in "${packages[@]}"; do
    [[ $(status_of "$p") == "ii " ]] || fail "$p is not fully installed: $(status_of "$p")"
done
getent group berth >/dev/null || fail "the group berth was not created (sysusers.d)"
grep -q '^ /etc/berth/berthd.json ' <<<"$(dpkg-query -W -f='${Conffiles}\n' berthd)" ||
    fail "/etc/berth/berthd.json is not a conffile of berthd"
unit_dir=""
for d in /lib/systemd/system /usr/lib/systemd/system; do
    [[ -f $d/berthd.service ]] && unit_dir=$d && break
done
[[ -n $unit_dir && -f $unit_dir/berthd.socket ]] || fail "berthd.service or berthd.socket not installed"
grep -qx 'Type=notify' "$unit_dir/berthd.service" || fail "berthd.service is not Type=notify"
{ grep -qx 'SocketGroup=berth' "$unit_dir/berthd.socket" && grep -qx 'SocketMode=0660' "$unit_dir/berthd.socket"; } ||
    fail "berthd.socket is not 0660 group berth"
[[ -f /usr/lib/sysusers.d/berthd.conf ]] || fail "/usr/lib/sysusers.d/berthd.conf not installed"
grep -Eq "^$plugdir berthd([:/ ]|$)" /var/lib/dpkg/triggers/File ||  # "berthd/noawait"
    fail "berthd has no dpkg trigger on $plugdir: $(cat /var/lib/dpkg/triggers/File)"
for rt in "${runtimes[@]}"; do
    [[ $(dpkg -S "$plugdir/$rt.so" 2>/dev/null) == "berth-plugin-$rt: $plugdir/$rt.so" ]] ||
        fail "$plugdir/$rt.so is not installed by berth-plugin-$rt"
done
[[ -x /usr/lib/berth/berth-plugin-probe ]] || fail "/usr/lib/berth/berth-plugin-probe not installed"
for f in /usr/share/man/man1/berth.1.gz /usr/share/man/man8/berthd.8.gz \
    /usr/share/bash-completion/completions/berth; do
    [[ -f $f ]] || fail "not installed: $f"
done
step "installed: ${packages[*]}"

# ---- berth, with no variables set ----------------------------------------------------------
listing=$(berth plugin ls) || fail "berth plugin ls failed: $listing"
for rt in "${runtimes[@]}"; do
    awk -v rt="$rt" -v path="$plugdir/$rt.so" '$1 == rt && $NF == path { found = 1 } END { exit !found }' \
        <<<"$listing" || fail "berth plugin ls does not list $rt from $plugdir/$rt.so:
$listing"
done
if grep -q "^  $plugdir/" <<<"$listing"; then
    fail "a packaged plugin was not loaded:
$listing"
fi
status=0
out=$(berth run local -- sh -c 'echo from-the-package; exit 3') || status=$?
[[ $out == from-the-package && $status == 3 ]] ||
    fail "berth run local: got '$out', exit $status (expected from-the-package, exit 3)"
step "berth plugin ls lists ${runtimes[*]} from $plugdir; berth run local exits 3"

# ---- berthd, as its unit starts it -----------------------------------------------------------
# ExecStart from the installed unit; its state directory moved to $tmp (a berthd the machine may
# run keeps /var/lib/berth/berthd), $BERTHD_OPTS empty (no /etc/default/berthd).
exec_start=$(sed -n 's/^ExecStart=//p' "$unit_dir/berthd.service")
read -r -a words <<<"$exec_start"
berthd_cmd=()
for ((i = 0; i < ${#words[@]}; i++)); do
    case ${words[i]} in
    "\$BERTHD_OPTS") ;; # the unit's own word, not expanded here
    --state-dir)
        berthd_cmd+=(--state-dir "$tmp/state")
        i=$((i + 1))
        ;;
    *) berthd_cmd+=("${words[i]}") ;;
    esac
done
[[ ${berthd_cmd[0]} == /usr/bin/berthd && " ${berthd_cmd[*]} " == *" --config /etc/berth/berthd.json "* ]] ||
    fail "unexpected ExecStart in berthd.service: $exec_start"

mkdir -m 0755 "$tmp/run"
sock=$tmp/run/berthd.sock
# systemd's environment for a service: its PATH, and NOTIFY_SOCKET for Type=notify.
unit_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
notify_log=$tmp/notify.log
if command -v python3 >/dev/null; then
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode(errors="replace") + "\n")
' "$tmp/notify.sock" "$notify_log" &
    notify_pid=$!
    wait_for 10 test -S "$tmp/notify.sock" || fail "the NOTIFY_SOCKET stand-in did not start"
    unit_env+=(NOTIFY_SOCKET="$tmp/notify.sock")
fi

if command -v systemd-socket-activate >/dev/null; then
    how="systemd-socket-activate"
    # It listens, and on the first connection execs berthd in its own process (LISTEN_PID) with
    # the socket as fd 3 and only the environment given with -E, as systemd does.
    env -i "${unit_env[@]}" systemd-socket-activate -l "$sock" \
        "${unit_env[@]/#/-E}" "${berthd_cmd[@]}" 2>"$tmp/berthd.log" &
    berthd_pid=$!
    wait_for 10 test -S "$sock" || fail "systemd-socket-activate did not create $sock"
    # What berthd.socket sets (SocketGroup=berth, SocketMode=0660).
    chgrp berth "$sock"
    chmod 0660 "$sock"
else
    command -v python3 >/dev/null || fail "neither systemd-socket-activate nor python3: cannot pass berthd a socket"
    how="LISTEN_FDS by hand"
    env -i "${unit_env[@]}" python3 -c '
import grp, os, socket, sys
path, argv = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chown(path, 0, grp.getgrnam("berth").gr_gid)  # SocketGroup=berth
os.chmod(path, 0o660)                            # SocketMode=0660
s.listen(128)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)  # SD_LISTEN_FDS_START; inheritable
    s.close()
else:
    os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())  # execv keeps the pid
os.execv(argv[0], argv)
' "$sock" "${berthd_cmd[@]}" 2>"$tmp/berthd.log" &
    berthd_pid=$!
    wait_for 10 test -S "$sock" || fail "the LISTEN_FDS stand-in did not create $sock"
fi
export BERTH_SOCKET=$sock
# The first connection starts berthd (systemd-socket-activate) and waits in the backlog until
# it accepts: berthd probes every plugin first.
wait_for 60 berth session ls >/dev/null 2>&1 || fail "berthd ($how) did not answer on $sock"
[[ -z $notify_pid ]] || wait_for 5 grep -qx 'READY=1' "$notify_log" ||
    fail "berthd did not send READY=1 to NOTIFY_SOCKET: $(cat "$notify_log")"
grep -q 'listening on the socket systemd passed' "$tmp/berthd.log" ||
    fail "berthd did not take the passed socket (LISTEN_FDS)"
step "berthd started by $how from berthd.service's ExecStart; READY=1 ${notify_pid:+sent}"

# Who may connect: the group berth (the socket's mode and berthd.json's socket_group together).
gid=$(getent group berth | cut -d: -f3)
setpriv --reuid=65534 --regid=65534 --groups="$gid" env BERTH_SOCKET="$sock" berth session ls >/dev/null 2>"$tmp/peer.log" ||
    fail "a member of the group berth cannot use berthd: $(cat "$tmp/peer.log")"
if setpriv --reuid=65534 --regid=65534 --clear-groups env BERTH_SOCKET="$sock" berth session ls >/dev/null 2>&1; then
    fail "a user outside the group berth can use berthd"
fi
step "a member of the group berth may use berthd; another user may not"

# send_and_wait ID N: sends `echo mark-$((N+N))` and waits for mark-<2N> (the sum, so the
# pattern cannot match the input itself).
send_and_wait() {
    berth session send "$1" "echo mark-\$(($2+$2))" || fail "session send $1 failed"
    berth session wait "$1" "mark-$(($2 + $2))" --timeout 15000 >/dev/null ||
        fail "session $1 did not print mark-$(($2 + $2)): $(berth session read "$1" 2>&1 | tail -n 5)"
}
local_id=$(berth session open local -- sh) || fail "berth session open local failed: $local_id"
send_and_wait "$local_id" 1
podman_id=""
if podman image exists localhost/berth-busybox:latest 2>/dev/null; then
    podman_id=$(berth session open podman --image localhost/berth-busybox:latest -- sh) ||
        fail "berth session open podman failed: $podman_id"
    send_and_wait "$podman_id" 2
elif [[ ${CI:-} == true ]]; then
    fail "no localhost/berth-busybox:latest image: scripts/setup-runtimes.sh makes it"
else
    step "no localhost/berth-busybox:latest image (scripts/setup-runtimes.sh): no podman session"
fi
plugin_up() { # runtime, 0|1: berth_plugin_up of that runtime in berthd's metrics
    # Read whole first: `berth metrics | grep -q` fails under pipefail when grep stops reading
    # at an early match and berth gets EPIPE on the rest.
    local metrics
    metrics=$(berth metrics 2>/dev/null) || return 1
    grep -Eq "^berth_plugin_up\{[^}]*runtime=\"$1\"[^}]*\} $2\$" <<<"$metrics"
}
plugin_up podman 1 || fail "berthd's metrics do not show podman up: $(berth metrics | grep berth_plugin_up)"
step "berthd serves sessions (local${podman_id:+, podman})"

# berth mcp, the packaged MCP server, in front of this berthd: initialize, then one command.
# shellcheck disable=SC2016 # $((20+22)) is for the session's shell: the output shows mcp-42, the input not
mcp_requests=(
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"deb_test","version":"1"}}}'
    '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"console_execute_command","arguments":{"runtime":"local","command":"echo mcp-$((20+22))"}}}'
)
mcp_out=$(printf '%s\n' "${mcp_requests[@]}" | timeout 60 berth mcp --no-autostart 2>"$tmp/mcp.log") ||
    fail "berth mcp failed: $(cat "$tmp/mcp.log")"
grep -q '"serverInfo":{"name":"berth"' <<<"$mcp_out" || fail "berth mcp did not answer initialize: $mcp_out"
grep -q 'mcp-42' <<<"$mcp_out" || fail "berth mcp's console_execute_command did not print mcp-42: $mcp_out"
step "berth mcp answers initialize and runs a command through berthd"

# ---- a plugin package removed, then installed, while berthd runs ------------------------------
# berthd's trigger (its postinst, "triggered") sends every running /usr/bin/berthd SIGHUP: a
# plugin rescan. Nothing here signals berthd: the rescans must come from dpkg.
rescans() { grep -c 'SIGHUP: plugins rescanned' "$tmp/berthd.log" || true; }
rescanned_since() { (($(rescans) > $1)); } # COUNT: more rescans in berthd's log than COUNT
# dpkg logs each run of berthd's postinst for its trigger ("trigproc berthd:ARCH ...").
trigger_runs() { grep -c ' trigproc berthd:' /var/log/dpkg.log 2>/dev/null || true; }
# change_plugin_package WHAT APT-ARGS...: runs apt-get, then waits for the trigger's rescan.
change_plugin_package() {
    local what=$1 rescans_before triggers_before
    shift
    rescans_before=$(rescans)
    triggers_before=$(trigger_runs)
    step "apt-get $*"
    "${apt[@]}" "$@" >>"$tmp/apt.log" 2>&1 || fail "apt-get $* failed: $(tail -n 20 "$tmp/apt.log")"
    [[ $(status_of berthd) == "ii " ]] || fail "berthd's trigger was left pending: $(status_of berthd)"
    ((${triggers_before:-0} < $(trigger_runs))) ||
        fail "$what did not fire berthd's trigger (no new trigproc in /var/log/dpkg.log)"
    wait_for 15 rescanned_since "$rescans_before" ||
        fail "$what: the trigger did not make the running berthd rescan its plugins"
}

change_plugin_package "removing berth-plugin-podman" remove -y berth-plugin-podman
[[ ! -e $plugdir/podman.so ]] || fail "$plugdir/podman.so is still there"
grep -q "(podman) is gone" "$tmp/berthd.log" || fail "berthd did not retire podman on the rescan"
wait_for 5 plugin_up podman 0 || fail "podman still up after the rescan: $(berth metrics | grep berth_plugin_up)"
plugin_up local 1 || fail "local is not up after the rescan: $(berth metrics 2>&1 | grep -v "^#")"
if berth session open podman --image localhost/berth-busybox:latest -- true >/dev/null 2>&1; then
    fail "berthd opened a podman session after the podman plugin was removed"
fi
send_and_wait "$local_id" 3
[[ -z $podman_id ]] || send_and_wait "$podman_id" 4
step "the trigger's SIGHUP retired podman; the open sessions went on"

change_plugin_package "installing berth-plugin-podman" install -y --no-install-recommends \
    "$debs"/berth-plugin-podman_*.deb
wait_for 5 plugin_up podman 1 || fail "podman not up after the rescan: $(berth metrics | grep berth_plugin_up)"
if [[ -n $podman_id ]]; then
    again=$(berth session open podman --image localhost/berth-busybox:latest -- sh) ||
        fail "no podman session after berth-plugin-podman was installed again: $again"
    send_and_wait "$again" 5
    berth session close "$again" >/dev/null || fail "session close $again failed"
fi
send_and_wait "$local_id" 6
berth session close "$local_id" >/dev/null || fail "session close $local_id failed"
[[ -z $podman_id ]] || berth session close "$podman_id" >/dev/null || fail "session close $podman_id failed"
step "installing berth-plugin-podman again: the trigger's SIGHUP brought podman back"

kill -TERM "$berthd_pid"
status=0
wait "$berthd_pid" || status=$?
berthd_pid=""
[[ $status == 0 ]] || fail "berthd exited $status on SIGTERM"
[[ -z $notify_pid ]] || grep -qx 'STOPPING=1' "$notify_log" || fail "berthd did not send STOPPING=1"
unset BERTH_SOCKET
step "berthd stopped on SIGTERM (exit 0)"

# ---- building against the -dev packages alone -----------------------------------------------
template=/usr/share/berth/plugin-template
[[ -f $template/CMakeLists.txt ]] || fail "$template not installed"
cp -r "$template" "$tmp/template-src"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$tmp/template-src" -B "$tmp/template" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$tmp/template.log" 2>&1 ||
    fail "the plugin template does not configure: $(cat "$tmp/template.log")"
grep -qx "berth-sdk_DIR:PATH=/usr/lib/$multiarch/cmake/berth-sdk" "$tmp/template/CMakeCache.txt" ||
    fail "berth-sdk found elsewhere than berth-sdk-dev: $(grep '^berth-sdk_DIR' "$tmp/template/CMakeCache.txt")"
cmake --build "$tmp/template" >"$tmp/template.log" 2>&1 ||
    fail "the plugin template does not build: $(cat "$tmp/template.log")"
exported=$(nm -D --defined-only "$tmp/template/unshare.so" | awk '{print $NF}')
[[ $exported == berth_plugin_entry_v1 ]] || fail "the template exports more than its entry symbol: $exported"
ctest --test-dir "$tmp/template" --output-on-failure >"$tmp/template.log" 2>&1 ||
    fail "the template's tests (berth-conformance, berth plugin validate) failed: $(cat "$tmp/template.log")"
for t in unshare.conformance unshare.validate; do
    grep -q "$t .*Passed" "$tmp/template.log" || fail "the template's test $t did not run: $(cat "$tmp/template.log")"
done
[[ $(pkg-config --variable=pluginsdir berth-sdk) -ef $plugdir ]] ||
    fail "pkg-config --variable=pluginsdir berth-sdk is $(pkg-config --variable=pluginsdir berth-sdk), not $plugdir"
# What a plugin's package depends on (docs/abi.md) is what the host packages provide.
abi="berth-abi-$(pkg-config --variable=abi_major berth-sdk)"
abi_version="$(pkg-config --variable=abi_major berth-sdk).$(pkg-config --variable=abi_minor berth-sdk)"
for p in berth berthd libberth-host1; do
    [[ $(dpkg-query -W -f='${Provides}' "$p") == *"$abi (= $abi_version)"* ]] ||
        fail "$p does not provide $abi (= $abi_version), the ABI of berth-sdk-dev's headers: $(dpkg-query -W -f='${Provides}' "$p")"
done
step "the plugin template builds against berth-sdk-dev and passes berth-conformance and validate"

# shellcheck disable=SC2046 # the flags are words
cc -o "$tmp/c_embedder" "$src/tests/embedding/c_embedder/main.c" $(pkg-config --cflags --libs berth-host) ||
    fail "a C program does not build against libberth-host-dev with pkg-config"
out=$("$tmp/c_embedder" 2>&1) || fail "the C embedder failed: $out"
grep -qx 'c_embedder: ok' <<<"$out" || fail "the C embedder did not say ok: $out"
step "a C program builds against libberth-host-dev (pkg-config) and runs a local session"

# ---- purge -----------------------------------------------------------------------------------
# What the packaged berthd keeps in its state directory (StateDirectory=berth/berthd): the
# postrm removes it on purge. The test's berthd used its own, so make one to see it go.
mkdir -p /var/lib/berth/berthd
echo '{}' >/var/lib/berth/berthd/sessions.json
step "apt-get purge ${packages[*]}"
purge_all || fail "apt-get purge failed: $(tail -n 20 "$tmp/apt.log")"
purged=1
for p in "${packages[@]}"; do
    [[ -z $(status_of "$p" | tr -d ' ') || $(status_of "$p") == "un " ]] ||
        fail "$p is still known to dpkg after purge: $(status_of "$p")"
done
# /etc/berth and /var/lib/berth themselves may hold what scripts/setup-runtimes.sh put there.
for f in /usr/bin/berth /usr/bin/berthd /usr/bin/berth-conformance /usr/lib/berth \
    "/usr/lib/$multiarch/berth" /etc/berth/berthd.json /var/lib/berth/berthd \
    /usr/lib/sysusers.d/berthd.conf "$unit_dir/berthd.service" "$unit_dir/berthd.socket" \
    /usr/include/berth /usr/share/berth "/usr/lib/$multiarch/libberth-host.so.1"; do
    [[ ! -e $f ]] || fail "$f is still there after purge"
done
if grep -q berthd /var/lib/dpkg/triggers/File; then
    fail "berthd's trigger interest is still registered after purge"
fi
step "purged: nothing left"
echo "deb_test: all checks passed"
