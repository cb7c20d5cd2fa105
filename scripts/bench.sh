#!/usr/bin/env bash
# Runs every benchmark executable of a build tree, one after another (never in
# parallel: they measure the machine). Each prints `bench: <name> <value> <unit>`.
set -euo pipefail
dir=${1:-build-bench}
status=0
for exe in "$dir"/bench/bench_*; do
    [ -x "$exe" ] || continue
    "$exe" || { echo "bench.sh: $(basename "$exe") failed" >&2; status=1; }
done
exit $status
