# shellcheck shell=bash
# The busybox root file system every runtime's test image is made of: Debian's busybox-static with
# all its applet links, /etc/passwd and /etc/group. Used by setup-runtimes.sh (podman's image) and
# setup-lxd.sh (LXD's image). The caller defines fail MESSAGE.

# berth_busybox_rootfs DIR: fills DIR (new or empty) with the root file system.
berth_busybox_rootfs() {
    local rootfs=$1 applet
    local -a applets=() dirs=()
    mkdir -p "$rootfs"/{bin,etc,root,tmp,proc,sys,dev}
    chmod 1777 "$rootfs/tmp"
    chmod 0700 "$rootfs/root"
    cp /bin/busybox "$rootfs/bin/busybox"
    mapfile -t applets < <(/bin/busybox --list-full)
    ((${#applets[@]} > 100)) || fail "/bin/busybox --list-full listed only ${#applets[@]} applets"
    # One mkdir for all applet folders; the links need one ln each.
    # Applet paths are relative ("usr/bin/awk"); some sit at the top ("linuxrc").
    mapfile -t dirs < <(printf '%s\n' "${applets[@]}" | sed -n 's|/[^/]*$||p' | sort -u)
    (cd "$rootfs" && mkdir -p "${dirs[@]}")
    for applet in "${applets[@]}"; do
        [[ $applet == bin/busybox ]] || ln -sf /bin/busybox "$rootfs/$applet"
    done
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
        >"$rootfs/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nobody:x:65534:' >"$rootfs/etc/group"
}
