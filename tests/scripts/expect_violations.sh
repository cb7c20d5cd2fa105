#!/usr/bin/env bash
# Proves a rule check can fail, and fails on exactly what it should: runs
# CHECK on a fixture tree with planted violations and passes when CHECK exits
# 1 and its report has one line per line of ROOT/EXPECTED (each a "file:line:"
# the line must contain), and no other.
# Usage: expect_violations.sh CHECK ROOT
set -u
check=${1:?usage: expect_violations.sh CHECK ROOT}; root=${2:?}
out=$("$check" "$root"); rc=$?
printf '%s\n' "$out"
[ $rc -eq 1 ] || { echo "FAIL: $check exited $rc on planted violations, not 1"; exit 1; }
status=0
while IFS= read -r want; do
    [ -n "$want" ] || continue
    n=$(printf '%s\n' "$out" | grep -cF -- "$want")
    [ "$n" -eq 1 ] || { echo "FAIL: expected one report of $want, got $n"; status=1; }
done < "$root/EXPECTED"
got=$(printf '%s\n' "$out" | grep -c .)
want=$(grep -c . "$root/EXPECTED")
[ "$got" -eq "$want" ] || { echo "FAIL: $got lines reported, $want planted"; status=1; }
[ $status -eq 0 ] && echo "ok: all $want planted violations reported, nothing else"
exit $status
