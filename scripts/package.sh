#!/usr/bin/env bash
# Builds every Debian package of berth (debian/) from a clean copy of the committed tree, as
# root on Debian 12: installs the build dependencies (debian/control's Build-Depends) with
# apt-get when some are missing, runs `dpkg-buildpackage -us -uc -b` in a fresh export of HEAD
# (`git archive`: no build folders, node_modules or uncommitted changes), then lintian.
#
#   scripts/package.sh [OUT_DIR] [--no-lintian]
#
# The .deb files (and the .changes and .buildinfo) land in OUT_DIR, by default build-deb/debs/
# in this checkout; the last line printed names it. lintian fails the run on an error (warnings
# are printed; the expected ones are listed in debian/README.source).
# tests/packaging/deb_test.sh OUT_DIR installs and tests what this made.
set -euo pipefail
cd "$(dirname "$0")/.."

out_dir=build-deb/debs
lintian=1
for arg in "$@"; do
    case $arg in
    --no-lintian) lintian=0 ;;
    -h | --help)
        sed -n '2,12p' "$0"
        exit 0
        ;;
    -*)
        echo "package: unknown option $arg" >&2
        exit 2
        ;;
    *) out_dir=$arg ;;
    esac
done

apt_log=/var/log/berth-setup-apt.log
note() { echo "package: $*" >&2; }
fail() {
    echo "package: error: $*" >&2
    exit 1
}
# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh
export DEBIAN_FRONTEND=noninteractive

[[ -z $(git status --porcelain --untracked-files=no) ]] ||
    note "the checkout has uncommitted changes: they are NOT in this build (it builds HEAD)"

# dpkg-dev reads Build-Depends; lintian checks the result.
tools=(dpkg-dev debhelper)
((lintian)) && tools+=(lintian)
ensure_packages "${tools[@]}"
if ! unmet=$(dpkg-checkbuilddeps 2>&1); then
    note "installing the build dependencies (log: $apt_log)"
    # Build-Depends as apt reads a dependency line: versions and alternatives included.
    build_deps=$(sed -n '/^Build-Depends:/,/^[^ ]/{s/^Build-Depends://;/^[^ ]/d;p}' debian/control |
        tr -s ' \n' ' ')
    {
        echo "=== $(date -Is) apt-get satisfy: $build_deps"
        timeout -k 10 600 apt-get -o DPkg::Lock::Timeout=120 update &&
            timeout -k 10 1200 apt-get -o DPkg::Lock::Timeout=120 -o Dpkg::Use-Pty=0 \
                satisfy -y --no-install-recommends "$build_deps"
    } </dev/null >>"$apt_log" 2>&1 || {
        tail -n 15 "$apt_log" | sed 's/^/    /' >&2
        fail "could not install the build dependencies ($unmet); see $apt_log"
    }
    dpkg-checkbuilddeps || fail "build dependencies still unmet after apt-get satisfy"
fi

version=$(dpkg-parsechangelog -S Version)
# One fixed place for every checkout: Debian's build flags name the source folder
# (-ffile-prefix-map=FOLDER=.), and ccache hashes them, so a clone at a new path (CI's) would
# otherwise recompile everything. The lock keeps two package builds out of each other's way.
work=${BERTH_DEB_WORK:-/var/tmp/berth-deb}
src=$work/berth-$version
mkdir -p "$work"
exec 9>"$work.lock"
flock -w 3600 9 || fail "another package build holds $work.lock"
rm -rf "${work:?}"/*
mkdir -p "$src"
git archive --format=tar HEAD | tar -x -C "$src"
note "building berth $version in $src (HEAD $(git rev-parse --short HEAD))"

# shellcheck source=scripts/lib/ccache-env.sh
source scripts/lib/ccache-env.sh
export CCACHE_BASEDIR=$src
jobs=${BERTH_JOBS:-2}
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
    tail -n 40 "$work/build.log" >&2
    fail "dpkg-buildpackage failed (last lines above; whole log in $work/build.log)"
}

mkdir -p "$out_dir"
rm -f "$out_dir"/*.deb "$out_dir"/*.changes "$out_dir"/*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out_dir"/
cp "$work/build.log" "$out_dir/build.log"
rm -rf "$work"
out_dir=$(cd "$out_dir" && pwd)

if ((lintian)); then
    changes=$(ls "$out_dir"/*.changes)
    note "lintian $changes"
    lintian --fail-on error --display-info "$changes" | tee "$out_dir/lintian.log" ||
        fail "lintian found errors (see $out_dir/lintian.log)"
fi

ls -1 "$out_dir"/*.deb
echo "debs in $out_dir"
