#!/usr/bin/env bash
# Stops berth's private containerd (started by setup-runtimes.sh): SIGTERM, a bounded wait, then
# SIGKILL. podman and LXC run no daemon, so there is nothing else to stop. Containers that were
# running keep their containerd-shim and are picked up again by the next containerd.
#
# Usage: stop-runtimes.sh [--timeout SECONDS] [--quiet]
# Exit status: 0 when no private containerd runs any more (also when none was running), 1 if it
# survived SIGKILL, 2 on a usage error.
set -euo pipefail

scripts_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=runtime-env.sh
source "$scripts_dir/runtime-env.sh"

term_timeout=10
quiet=0
while (($# > 0)); do
    case $1 in
        --timeout)
            [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || { echo "usage: $0 [--timeout SECONDS] [--quiet]" >&2; exit 2; }
            term_timeout=$2
            shift 2
            ;;
        --quiet | -q) quiet=1; shift ;;
        -h | --help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--timeout SECONDS] [--quiet]" >&2; exit 2 ;;
    esac
done

say() { ((quiet)) || echo "$@"; }


if ! pid=$(berth_containerd_pid); then
    rm -f "$BERTH_CONTAINERD_PIDFILE"
    say "containerd: not running"
    exit 0
fi

kill -TERM "$pid" 2>/dev/null || true
if ! berth_wait_gone "$pid" "$term_timeout"; then
    echo "containerd: pid $pid ignored SIGTERM for ${term_timeout}s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    if ! berth_wait_gone "$pid" 5; then
        echo "containerd: error: pid $pid survives SIGKILL; see /proc/$pid/status and $BERTH_CONTAINERD_LOG" >&2
        exit 1
    fi
fi
# A killed daemon leaves its sockets behind; remove them so nobody mistakes them for a live one.
rm -f "$BERTH_CONTAINERD_PIDFILE" "$BERTH_CONTAINERD_ADDRESS" "$BERTH_CONTAINERD_ADDRESS.ttrpc"
say "containerd: stopped (pid $pid)"
