#!/usr/bin/env bash
# The install tree stands on its own, as a plugin author gets it: `cmake --install` into a
# temporary prefix; the installed berth finds its plugins and its probe beside itself and runs a
# session; the pkg-config files and the systemd unit name that prefix; and the plugin template
# (examples/plugin-template) builds out of tree against the prefix only — with CMake
# (find_package(berth-sdk), berth_add_plugin) and with pkg-config alone — exports only its
# entry symbol, passes the installed berth-conformance and `berth plugin validate`, and once
# installed under the prefix is listed and healthy in the installed berth.
# Then the programs that embed the host (tests/embedding/embedders.sh), on the same prefix.
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

prefix=$tmp/prefix
# A sanitizer build installs instrumented SDK libraries: what links them must be instrumented
# the same way (and is loaded by the instrumented berth).
case $(sed -n 's/^BERTH_SANITIZE:STRING=//p' "$build/CMakeCache.txt") in
address) san_flags="-fsanitize=address,undefined" ;;
thread) san_flags="-fsanitize=thread" ;;
*) san_flags="" ;;
esac
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/berth bin/berthd bin/berth-conformance lib/berth/berth-plugin-probe \
    lib/berth/plugins/local.so include/berth/plugin.h include/berth/sdk/plugin.hpp \
    include/berth/sdk/version.h include/berth/sdk/runtime_session.hpp \
    lib/libberth_sdk_process.a lib/libberth_sdk_options.a \
    lib/cmake/berth-sdk/berth-sdk-config.cmake lib/cmake/berth-sdk/BerthPlugin.cmake \
    lib/cmake/berth-sdk/plugin.map lib/pkgconfig/berth-sdk.pc lib/pkgconfig/berth-sdk-process.pc \
    lib/systemd/system/berthd.service lib/systemd/system/berthd.socket; do
    [[ -e $prefix/$f ]] || fail "not installed: $f"
done

export BERTH_PLUGIN_SYSTEM_PATH=""
berth=$prefix/bin/berth
status=0
out=$("$berth" run local -- sh -c 'echo from-the-install; exit 3') || status=$?
[[ $out == from-the-install && $status == 3 ]] ||
    fail "installed berth run: got '$out', exit $status (expected from-the-install, 3)"

# Paths name the prefix installed into, not the one the build was configured with.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
plugins_dir=$(pkg-config --variable=pluginsdir berth-sdk)
[[ $(realpath -m "$plugins_dir") == "$prefix/lib/berth/plugins" ]] ||
    fail "pkg-config --variable=pluginsdir berth-sdk is '$plugins_dir', not under $prefix"
cflags=$(pkg-config --cflags berth-sdk)
cflags=${cflags%% }
[[ $(realpath -m "${cflags#-I}") == "$prefix/include" ]] ||
    fail "pkg-config --cflags berth-sdk is '$cflags', not -I$prefix/include"
grep -q "^ExecStart=$prefix/bin/berthd " "$prefix/lib/systemd/system/berthd.service" ||
    fail "berthd.service does not start $prefix/bin/berthd: $(grep ExecStart "$prefix/lib/systemd/system/berthd.service")"

# The template, from its installed copy, with CMake, against the prefix only.
template=$prefix/share/berth/plugin-template
[[ -f $template/CMakeLists.txt && -f $prefix/share/doc/berth/abi.md && -f $prefix/share/doc/berth/embedding.md ]] ||
    fail "the plugin template, docs/abi.md or docs/embedding.md is not installed under $prefix/share"
cp -r "$template" "$tmp/template-src"
template=$tmp/template-src
cmake -S "$template" -B "$tmp/template" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="$san_flags" -DCMAKE_MODULE_LINKER_FLAGS="$san_flags" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_INSTALL_PREFIX="$prefix" >"$tmp/configure.log" 2>&1 ||
    fail "the plugin template does not configure: $(cat "$tmp/configure.log")"
cmake --build "$tmp/template" >"$tmp/build.log" 2>&1 ||
    fail "the plugin template does not build: $(cat "$tmp/build.log")"
so=$tmp/template/unshare.so
exported=$(nm -D --defined-only "$so" | awk '{print $NF}')
[[ $exported == berth_plugin_entry_v1 ]] ||
    fail "the template exports more than its entry symbol:
$exported"
ctest --test-dir "$tmp/template" --output-on-failure >"$tmp/ctest.log" 2>&1 ||
    fail "the template's tests (berth-conformance, berth plugin validate) failed:
$(cat "$tmp/ctest.log")"
for t in unshare.conformance unshare.validate; do
    grep -q "$t .*Passed" "$tmp/ctest.log" || fail "the template's test $t did not run: $(cat "$tmp/ctest.log")"
done

# The same plugin with pkg-config alone (a Makefile or Meson user's route).
# shellcheck disable=SC2046,SC2086 # several flags in one string, split on purpose
g++ -std=c++20 -O1 -shared -fPIC -fvisibility=hidden $san_flags -o "$tmp/unshare-pc.so" \
    "$template/src/unshare_plugin.cpp" $(pkg-config --cflags --libs berth-sdk-process) \
    -Wl,--exclude-libs,ALL -Wl,-z,defs \
    -Wl,--version-script="$(pkg-config --variable=plugin_map berth-sdk)" ||
    fail "the template does not build with pkg-config's flags"
[[ $(nm -D --defined-only "$tmp/unshare-pc.so" | awk '{print $NF}') == berth_plugin_entry_v1 ]] ||
    fail "built with pkg-config, the template exports more than its entry symbol"

# Installed under the prefix, the installed berth finds it with no variables set.
cmake --install "$tmp/template" >/dev/null
[[ -f $prefix/lib/berth/plugins/unshare.so ]] || fail "the template did not install into $plugins_dir"
listing=$("$berth" plugin ls)
grep -Eq '^unshare +berth-unshare ' <<<"$listing" || fail "unshare not listed:
$listing"
health=$("$berth" health unshare) || fail "berth health unshare: $health"
grep -q 'healthy' <<<"$health" || fail "unshare health: $health"
status=0
out=$("$berth" run unshare -- sh -c 'readlink /proc/self/ns/net; exit 4') || status=$?
host_net=$(readlink /proc/self/ns/net)
[[ $out == net:* && $out != "$host_net" && $status == 4 ]] ||
    fail "installed berth run unshare: got '$out', exit $status (expected a net namespace other than $host_net, exit 4)"
echo "install tree, pkg-config, unit file and the plugin template out of tree: ok"

"$src/tests/embedding/embedders.sh" "$prefix" "$src" "$tmp" "$san_flags"
