#!/usr/bin/env bash
# assert_density.sh [ROOT] - assertions per function definition.
#
# Counts ASSERT( calls and function definitions (a line that is exactly "{"
# in column 0: the project's style opens every function body so, and
# nothing else) in the .c and .h files of impl/, sim/ and models/, and
# prints one line per top-level directory, then per module of impl/:
#
#     impl 0.21 (412 asserts / 1960 functions)
#     impl/ring 1.10 (...)
#
# A measurement, not a gate: always exits 0 (2 for a bad ROOT).
set -euo pipefail
root=${1:-.}
[ -d "$root/impl" ] || { echo "usage: $0 [ROOT with impl/ sim/ models/]" >&2; exit 2; }
density() {
    local dir=$1 files asserts funcs
    files=$(find "$root/$dir" -name '*.[ch]' -not -path '*/native/*' | sort)
    [ -n "$files" ] || return 0
    # shellcheck disable=SC2086
    asserts=$(cat $files | { grep -o 'ASSERT(' || true; } | wc -l)
    # shellcheck disable=SC2086
    funcs=$(cat $files | grep -c '^{$' || true)
    awk -v d="$dir" -v a="$asserts" -v f="$funcs" \
        'BEGIN { printf "%s %.2f (%d asserts / %d functions)\n", d, f ? a / f : 0, a, f }'
}
for d in impl sim models; do density "$d"; done
for d in "$root"/impl/*/ "$root"/impl/drivers/*/; do
    d=${d#"$root"/}; d=${d%/}
    [ "$d" = impl/drivers ] || [ "$d" = impl/port ] || density "$d"
done
