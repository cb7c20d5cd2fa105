#!/usr/bin/env bash
# Runs every benchmark executable of a build tree, one after another (never in
# parallel: they measure the machine). Each prints `bench: <name> <value> <unit>`.
#
# Each runs under GNU time (/usr/bin/time, Debian package `time`), which
# reports its peak resident set; the largest of them is printed last as
# `bench: bench.peak_rss_mib <MiB> MiB`, after a `# peak_rss` comment line per
# executable. The run fails if that peak exceeds PEAK_MIB_MAX, so that a
# benchmark which starts to need more memory than a shared machine can give
# it is noticed here rather than by the OOM killer.
set -euo pipefail
dir=${1:-build-bench}
readonly PEAK_MIB_MAX=8192
timer=/usr/bin/time
if [ ! -x "$timer" ]; then
    echo "bench.sh: $timer (Debian package time) is missing; scripts/install-deps.sh bench installs it" >&2
    exit 1
fi
rss_file=$(mktemp)
trap 'rm -f "$rss_file"' EXIT
status=0
peak_kib=0
peak_exe=none
for exe in "$dir"/bench/bench_*; do
    [ -x "$exe" ] || continue
    name=$(basename "$exe")
    # -o keeps the benchmark's own stdout and stderr as they are; the file
    # ends with the peak in KiB (after a line about a failure, if any).
    "$timer" -f '%M' -o "$rss_file" "$exe" || { echo "bench.sh: $name failed" >&2; status=1; }
    kib=$(tail -n 1 "$rss_file")
    if ! [[ $kib =~ ^[0-9]+$ ]]; then
        echo "bench.sh: no peak resident set for $name" >&2
        status=1
        continue
    fi
    echo "# peak_rss $name $(( (kib + 1023) / 1024 )) MiB"
    if [ "$kib" -gt "$peak_kib" ]; then
        peak_kib=$kib
        peak_exe=$name
    fi
done
peak_mib=$(( (peak_kib + 1023) / 1024 ))
echo "bench: bench.peak_rss_mib $peak_mib MiB"
if [ "$peak_mib" -gt "$PEAK_MIB_MAX" ]; then
    echo "bench.sh: peak resident set $peak_mib MiB ($peak_exe) exceeds $PEAK_MIB_MAX MiB" >&2
    status=1
fi
exit $status
