#!/usr/bin/env bash
# Same scenario + same seed = same trace hash: across separate processes and
# across compilers. Runs the default suite twice with IOSIM and once with
# OTHER (a clang build, from $IOSIM_CLANG_BINARY when not given), under the
# scenario's own policy and under random and pct:3, and compares every
# scenario's trace-hash line.
# Usage: hash_compare.sh IOSIM SUITE_DIR [OTHER]; exit 77 (skip) without OTHER.
set -u
iosim=${1:?}; suite=${2:?}; other=${3:-${IOSIM_CLANG_BINARY:-}}
hashes() { # binary, suite path, extra args -> "scenario hash" lines, sorted
    "$1" suite "$2" -j 2 "${@:3}" | awk '/trace-hash:/ {n = split($2, p, "/"); print p[n], $NF}' | sort
}
status=0
for args in "" "--policy random --seed 31" "--policy pct:3 --seed 8"; do
    # shellcheck disable=SC2086
    # the second run spells the path differently: the hash must not care
    a=$(hashes "$iosim" "$suite" $args); b=$(hashes "$iosim" "$suite/../$(basename "$suite")/." $args)
    n=$(printf '%s\n' "$a" | grep -c .)
    if [ "$n" -lt 10 ] || [ "$a" != "$b" ]; then
        echo "FAIL: two processes of the same binary disagree (${args:-scenario policy}):"
        diff <(echo "$a") <(echo "$b"); status=1
    else
        echo "ok: $n scenarios, same hashes in two processes (${args:-scenario policy})"
    fi
    if [ -n "$other" ]; then
        # shellcheck disable=SC2086
        c=$(hashes "$other" "$suite" $args)
        if [ "$a" != "$c" ]; then
            echo "FAIL: $other disagrees with $iosim (${args:-scenario policy}):"
            diff <(echo "$a") <(echo "$c"); status=1
        else
            echo "ok: same hashes from $other (${args:-scenario policy})"
        fi
    fi
done
if [ -z "$other" ]; then
    echo "skipped: no second compiler's build (set IOSIM_CLANG_BINARY; \`make test\` does)"
    [ $status -eq 0 ] && exit 77
fi
exit $status
