#!/usr/bin/env bash
# Programs that embed the host, built against an install tree alone: a C embedder
# (find_package(berth-host)), the same built by hand with pkg-config, a C++ embedder (the
# header-only wrapper) and a Python ctypes embedder; each runs a `local` session (exit code 3,
# a SIGTERM seen as signal 15) with the plugins and the probe the library finds from its own
# place in the prefix. Run by tests/packaging/install_test.sh on the prefix it installed.
# Usage: embedders.sh PREFIX SOURCE_DIR TMP_DIR [SANITIZER_FLAGS]
set -euo pipefail
prefix=$1
src=$2
tmp=$3
san_flags=${4:-}
fail() {
    echo "embedders: $*" >&2
    exit 1
}

libdir=$(dirname "$(find "$prefix" -name libberth-host.so.1 -print -quit)")
[[ -n $libdir && $libdir != . ]] || fail "not installed: libberth-host.so.1"
for f in include/berth/host.h include/berth/host.hpp lib/berth/berth-plugin-probe \
    lib/berth/plugins/local.so; do
    [[ -e $prefix/$f ]] || fail "not installed: $f"
done
for f in libberth-host.so cmake/berth-host/berth-host-config.cmake pkgconfig/berth-host.pc; do
    [[ -e $libdir/$f ]] || fail "not installed: ${libdir#"$prefix"/}/$f"
done

# The library exports its C API and nothing else.
if other=$(nm -D --defined-only "$libdir/libberth-host.so.1" | awk '$2 != "A" {print $3}' |
    grep -v '^berth_host_[a-z_]*@@BERTH_HOST_1\.0$'); then
    fail "libberth-host.so.1 exports more than berth_host_*: $other"
fi

# Only what is installed: no system plugin directory, no plugin path.
export BERTH_PLUGIN_SYSTEM_PATH=""
unset BERTH_PLUGIN_PATH
# The prefix and nothing else: not the package registry, not a berth installed on this machine.
# A sanitizer build's library needs its runtime in the program: the embedders are built with
# the same flags, and Python (not built so) preloads it.
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF
    -DCMAKE_C_FLAGS="$san_flags" -DCMAKE_CXX_FLAGS="$san_flags" -DCMAKE_EXE_LINKER_FLAGS="$san_flags")
found_in_prefix() {  # build dir: find_package(berth-host) took the config from the prefix
    grep -q "^berth-host_DIR:PATH=$prefix/" "$1/CMakeCache.txt" ||
        fail "berth-host found elsewhere than $prefix: $(grep '^berth-host_DIR' "$1/CMakeCache.txt")"
}

run() {  # name, command...: runs an embedder, which prints "<name>: ok"
    local name=$1 out
    shift
    out=$("$@" 2>&1) || fail "$name failed:
$out"
    grep -qx "$name: ok" <<<"$out" || fail "$name did not say ok:
$out"
}

cmake -S "$src/tests/embedding/c_embedder" -B "$tmp/c" "${cmake_args[@]}" >"$tmp/log" 2>&1 ||
    fail "the C embedder does not configure: $(cat "$tmp/log")"
found_in_prefix "$tmp/c"
cmake --build "$tmp/c" >"$tmp/log" 2>&1 || fail "the C embedder does not build: $(cat "$tmp/log")"
run c_embedder "$tmp/c/c_embedder"

cmake -S "$src/tests/embedding/cpp_embedder" -B "$tmp/cpp" "${cmake_args[@]}" >"$tmp/log" 2>&1 ||
    fail "the C++ embedder does not configure: $(cat "$tmp/log")"
found_in_prefix "$tmp/cpp"
cmake --build "$tmp/cpp" >"$tmp/log" 2>&1 ||
    fail "the C++ embedder does not build: $(cat "$tmp/log")"
run cpp_embedder "$tmp/cpp/cpp_embedder"

# pkg-config, from the prefix given to --install (the .pc finds it relative to itself).
export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --cflags --libs berth-host) || fail "pkg-config does not know berth-host"
[[ $flags == *"-I$prefix/"* || $flags == *"-I${libdir}/"* ]] ||
    fail "pkg-config berth-host points elsewhere than $prefix: $flags"
# shellcheck disable=SC2086  # the flags are words
cc $san_flags -o "$tmp/c_pkgconfig" "$src/tests/embedding/c_embedder/main.c" $flags -Wl,-rpath,"$libdir" ||
    fail "the C embedder does not build with pkg-config ($flags)"
run c_embedder "$tmp/c_pkgconfig"

python_env=()
if [[ $san_flags == *address* ]]; then
    # Python's own allocations are not leaks of the library's.
    python_env=(env LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
fi
run ctypes_embedder "${python_env[@]}" python3 "$src/tests/embedding/ctypes_embedder.py" "$prefix"
echo "embedders (C, C via pkg-config, C++, Python ctypes) against the install: ok"
