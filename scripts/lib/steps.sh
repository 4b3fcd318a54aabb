# shellcheck shell=bash disable=SC2154 # $step and $work are the caller's
# What a set-up script's steps say and how they run a command: note MESSAGE, fail MESSAGE (ends
# the step), run_logged SECONDS CMD... Used by setup-runtimes.sh and setup-lxd.sh. The caller
# sets $step (the prefix of every line) and $work (a folder for the command's output).

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
