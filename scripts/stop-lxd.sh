#!/usr/bin/env bash
# Stops the LXD (or, with --incus, Incus) cluster members started by setup-lxd.sh, by their
# recorded pids: SIGTERM, a bounded wait, then SIGKILL. Instances that were running keep running
# (seen: the daemon picks them up at its next start); the tests delete theirs. setup-lxd.sh
# starts the members again on their state.
#
# Usage: stop-lxd.sh [--incus] [--node 1|2]... [--timeout SECONDS] [--quiet]   (default: both)
# Exit status: 0 when the selected daemons no longer run (also when none was running), 1 if one
# survived SIGKILL, 2 on a usage error.
set -euo pipefail

scripts_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/runtime-env.sh
source "$scripts_dir/runtime-env.sh"

usage() { echo "usage: $0 [--incus] [--node 1|2]... [--timeout SECONDS] [--quiet]" >&2; exit 2; }

term_timeout=30
quiet=0
nodes=()
P=LXD flavor=lxd
while (($# > 0)); do
    case $1 in
        --node)
            [[ $# -ge 2 && $2 =~ ^(node)?[12]$ ]] || usage
            nodes+=("${2#node}")
            shift 2
            ;;
        --timeout)
            [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage
            term_timeout=$2
            shift 2
            ;;
        --incus) P=INCUS flavor=incus; shift ;;
        --lxd) P=LXD flavor=lxd; shift ;;
        --quiet | -q) quiet=1; shift ;;
        -h | --help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) usage ;;
    esac
done
((${#nodes[@]} > 0)) || nodes=(2 1)

say() { ((quiet)) || echo "$@"; }


failed=0
for node in "${nodes[@]}"; do
    pidfile_var=BERTH_${P}_NODE${node}_PIDFILE
    log_var=BERTH_${P}_NODE${node}_LOG
    if ! pid=$("berth_${flavor}_pid" "$node"); then
        rm -f "${!pidfile_var}"
        say "$flavor node$node: not running"
        continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    if ! berth_wait_gone "$pid" "$term_timeout"; then
        echo "$flavor node$node: pid $pid ignored SIGTERM for ${term_timeout}s, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        if ! berth_wait_gone "$pid" 5; then
            echo "$flavor node$node: error: pid $pid survives SIGKILL; see /proc/$pid/status and ${!log_var}" >&2
            failed=1
            continue
        fi
    fi
    rm -f "${!pidfile_var}"
    say "$flavor node$node: stopped (pid $pid)"
done
exit "$failed"
