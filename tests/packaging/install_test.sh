#!/usr/bin/env bash
# The install tree stands on its own: `cmake --install` into a temporary prefix; the installed
# berth finds its plugins and its probe beside itself and runs a session; and a plugin built out
# of tree against the installed SDK (find_package(berth-sdk)) is loaded and healthy.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "install_test: $*" >&2
    exit 1
}

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/berth bin/berthd lib/berth/berth-plugin-probe lib/berth/plugins/local.so \
    include/berth/plugin.h include/berth/sdk/plugin.hpp lib/cmake/berth-sdk/berth-sdk-config.cmake \
    lib/pkgconfig/berth-sdk.pc lib/systemd/system/berthd.service lib/systemd/system/berthd.socket; do
    [[ -e $tmp/prefix/$f ]] || fail "not installed: $f"
done

export BERTH_PLUGIN_SYSTEM_PATH=""
berth=$tmp/prefix/bin/berth
status=0
out=$("$berth" run local -- sh -c 'echo from-the-install; exit 3') || status=$?
[[ $out == from-the-install && $status == 3 ]] ||
    fail "installed berth run: got '$out', exit $status (expected from-the-install, 3)"

cmake -S "$src/tests/packaging/oot_plugin" -B "$tmp/oot" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null || fail "the out-of-tree plugin does not configure"
cmake --build "$tmp/oot" >/dev/null || fail "the out-of-tree plugin does not build"
mkdir "$tmp/plugins"
cp "$tmp/oot/oot.so" "$tmp/plugins/"
export BERTH_PLUGIN_PATH=$tmp/plugins
listing=$("$berth" plugin ls)
grep -Eq '^oot +berth-oot +0\.0\.1 +1\.[0-9]+ ' <<<"$listing" || fail "oot not loaded:
$listing"
health=$("$berth" health oot)
if ! grep -q 'healthy' <<<"$health" || ! grep -q 'built out of tree' <<<"$health"; then
    fail "oot health: $health"
fi
echo "install tree and out-of-tree plugin: ok"
