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

# Node.js and npm, for the MCP end-to-end tests (tests/mcp_client) and bench/mcp.sh. Debian's
# nodejs and npm only when there is no node at all: a machine with nodesource's nodejs (which
# bundles npm and conflicts with Debian's npm package) keeps it.
if ! command -v node >/dev/null; then
    ensure_packages nodejs npm
fi
command -v npm >/dev/null || fail "node is installed but npm is not (nodesource's nodejs bundles it; Debian: apt-get install npm)"

# The official MCP TypeScript SDK and ajv, exactly as tests/mcp_client/package-lock.json pins
# them. npm ci only when node_modules is missing or the lock changed since the last install
# (its sha256 is kept in node_modules/.berth-lock-sha).
mcp_client=tests/mcp_client
lock_sha=$(sha256sum "$mcp_client/package-lock.json" | cut -d' ' -f1)
stamp=$mcp_client/node_modules/.berth-lock-sha
if [[ ! -f $stamp || $(<"$stamp") != "$lock_sha" ]]; then
    note "npm ci in $mcp_client"
    (cd "$mcp_client" && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
        fail "npm ci failed in $mcp_client"
    echo "$lock_sha" >"$stamp"
fi
