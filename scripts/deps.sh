#!/usr/bin/env bash
# Installs what berth needs to build and test, from Debian's packages, if it is missing.
# Idempotent: when everything is there it only asks dpkg (well under a second).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_log=/var/log/berth-setup-apt.log
note() { echo "deps: $*" >&2; }
fail() { echo "deps: error: $*" >&2; exit 1; }
# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh

export DEBIAN_FRONTEND=noninteractive
ensure_packages \
    g++ cmake ninja-build ccache pkg-config git clang-format \
    libboost-dev libboost-filesystem-dev nlohmann-json3-dev libspdlog-dev libfmt-dev \
    libgtest-dev libgmock-dev libcli11-dev libbenchmark-dev libre2-dev libvterm-dev hyperfine \
    python3 jq clang libclang-rt-14-dev
# clang and its sanitizer and libFuzzer runtimes, for the fuzz targets (scripts/fuzz.sh).
# libclang-rt-14-dev is only a Recommends of clang's packages, which --no-install-recommends skips.
