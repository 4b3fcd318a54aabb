#!/usr/bin/env bash
# Fails when a tracked C/C++ file is not clang-formatted (.clang-format at the top).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp' 2>/dev/null)
((${#files[@]} > 0)) || exit 0
if ! clang-format --dry-run -Werror "${files[@]}" 2>/tmp/berth-format.log; then
    grep -o '^[^:]*:[0-9]*' /tmp/berth-format.log | cut -d: -f1 | sort -u | sed 's/^/not formatted: /' >&2
    echo "run: clang-format -i \$(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')" >&2
    exit 1
fi
