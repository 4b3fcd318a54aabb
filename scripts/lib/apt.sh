# shellcheck shell=bash
# Package installs shared by berth's scripts. The caller defines note MESSAGE, fail MESSAGE and
# $apt_log (where apt's output goes).

# ensure_packages PKG...: installs the missing ones; apt-get update only when something is missing.
ensure_packages() {
    local -A have=() seen=()
    local -a missing=()
    local pkg status
    while IFS=$'\t' read -r pkg status; do
        [[ $status == *" ok installed" ]] && have[$pkg]=1
    done < <(dpkg-query -W -f='${Package}\t${Status}\n' "$@" 2>/dev/null || true)
    for pkg in "$@"; do
        [[ -n ${have[$pkg]:-} || -n ${seen[$pkg]:-} ]] || missing+=("$pkg")
        seen[$pkg]=1
    done
    ((${#missing[@]} > 0)) || return 0

    note "installing ${missing[*]} (log: $apt_log)"
    local -a apt=(apt-get -o DPkg::Lock::Timeout=120 -o Dpkg::Use-Pty=0)
    if ! {
        echo "=== $(date -Is) installing: ${missing[*]}"
        timeout -k 10 600 "${apt[@]}" update &&
            timeout -k 10 1200 "${apt[@]}" install -y --no-install-recommends "${missing[@]}"
    } </dev/null >>"$apt_log" 2>&1; then
        tail -n 15 "$apt_log" | sed 's/^/    /' >&2
        fail "apt-get could not install ${missing[*]}; see $apt_log"
    fi
}
