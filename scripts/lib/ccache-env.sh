# shellcheck shell=bash
# The compiler cache every build script uses, keyed so that a fresh clone at any path reuses
# what an earlier checkout compiled: paths relative to the checkout (BASEDIR), and the build
# folder's path left out of the key (NOHASHDIR; with -g ccache would hash it, so a clone at a
# new path recompiled everything, ~45 minutes on 2 cores). The cost: a cached object's debug
# info may name the folder of the checkout that compiled it first.
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
