#!/usr/bin/env bash
# mutants.sh [JOBS] - plants each bug of tests/mutants/*.patch in a scratch
# copy of the tree, builds it, and measures whether the tests catch it.
#
# For each patch: apply it to build-mutants/src (a copy of the working tree,
# tracked and untracked files, made once), build incrementally in
# build-mutants/build (configured once), run the test suite - ctest without
# determinism.every_build (the eight-build hash comparison: minutes, and it
# compares builds of the same source, so it cannot see a planted bug), the
# tests of the patched module first, stopping at the first failure; when
# they pass, a short fuzz budget over the suites the module runs in
# (MUTANTS_FUZZ_RUNS runs, 300 by default, --policy mix); then the rest of
# the suite. Then the patch is taken out again. Prints per patch
#
#     mutant: NAME caught by TEST in SECONDS s
#     mutant: NAME SURVIVED
#
# and at the end `N caught, N survived` and `bench: mutants.caught C/T RATIO`.
# A measurement: exits 0 whatever survives; 2 when a patch no longer
# applies (it names it) or the scratch tree cannot be built without patches.
# MUTANTS_ONLY=REGEX runs the patches whose names match; MUTANTS_REST=0
# skips the rest of the suite after the module's tests and the fuzz budget
# (a quick measurement: a mutant only the other tests catch then survives).
set -uo pipefail
# src lies inside this repository's ignored build-mutants/: git apply must
# treat it as a plain directory, not as part of the repository
export GIT_CEILING_DIRECTORIES
jobs=${1:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/build-mutants
src=$work/src
bld=$work/build
fuzz_runs=${MUTANTS_FUZZ_RUNS:-300}
only=${MUTANTS_ONLY:-.}
log=$work/log
rest=${MUTANTS_REST:-1}
mkdir -p "$work" "$log"
GIT_CEILING_DIRECTORIES=$work

# The copy of the tree, fresh each time (the working tree as it is now).
rm -rf "$src"
mkdir -p "$src"
(cd "$root" && git ls-files -z -co --exclude-standard | grep -zv '^build' |
     tar --null -T - -cf -) | tar -x -C "$src"

patches=()
for p in "$root"/tests/mutants/*.patch; do
    name=$(basename "$p" .patch)
    [[ $name =~ $only ]] || continue
    if ! (cd "$src" && git apply --check "$p" 2>/dev/null); then
        echo "mutants: $name no longer applies to the tree (tests/mutants/$name.patch)" >&2
        exit 2
    fi
    patches+=("$p")
done

[ -f "$bld/CMakeCache.txt" ] || cmake -S "$src" -B "$bld" -DCMAKE_C_COMPILER=gcc >"$log/configure" 2>&1
if ! cmake --build "$bld" -j "$jobs" >"$log/build-clean" 2>&1; then
    echo "mutants: the unpatched tree does not build (see $log/build-clean)" >&2
    exit 2
fi

# The ctest regex of the patched module's own tests, and the scenario
# suites its fuzz budget runs.
area_of() {
    case $1 in
        impl/ring/*) echo 'ring|uring|kern|stack|fuzz' ;;
        impl/kernel/*) echo 'kern|uring|ring|stack|fuzz|cli' ;;
        impl/bufpool/*) echo 'bufpool' ;;
        impl/drivers/xhcid/*) echo 'xhci|usb' ;;
        impl/drivers/usbscsid/*) echo 'usbscsid|scsi|storage|disk' ;;
        impl/drivers/pcid/*) echo 'pcid|pci' ;;
        *) echo 'scenarios' ;;
    esac
}
suites_of() {
    case $1 in
        impl/ring/* | impl/kernel/*) echo rings bufpool disk ;;
        impl/bufpool/*) echo bufpool xhcid ;;
        impl/drivers/xhcid/*) echo xhcid storage ;;
        impl/drivers/usbscsid/*) echo storage ;;
        impl/drivers/pcid/*) echo pcid xhcid ;;
        *) echo rings ;;
    esac
}

# The first failing test of a ctest log, or nothing.
first_failed() {
    # ctest lists them as "<TAB> 82 - unit.sim.stack.test_ring_sim (Failed)"
    grep -E '^[[:space:]]*[0-9]+ - .* \((Failed|Timeout|SEGFAULT|Subprocess aborted|Child aborted|Exception|Not Run)' "$1" |
        head -n 1 | sed -E 's/^[[:space:]]*[0-9]+ - ([^ ]+).*/\1/'
}

caught=0
survived=0
for p in "${patches[@]}"; do
    name=$(basename "$p" .patch)
    file=$(grep -m1 '^+++ b/' "$p" | sed 's|^+++ b/||')
    t0=$(date +%s)
    (cd "$src" && git apply "$p")
    by=""
    if ! cmake --build "$bld" -j "$jobs" >"$log/$name.build" 2>&1; then
        by="the build"
    fi
    area=$(area_of "$file")
    if [ -z "$by" ]; then
        (cd "$bld" && ctest -R "$area" -E 'every_build' -j "$jobs" --stop-on-failure --timeout 600 \
            >"$log/$name.ctest-area" 2>&1)
        by=$(first_failed "$log/$name.ctest-area")
    fi
    if [ -z "$by" ]; then
        files=()
        for s in $(suites_of "$file"); do files+=("$src"/scenarios/suite/"$s"/*.yaml); done
        if ! "$bld/iosim" fuzz "${files[@]}" --runs "$fuzz_runs" --policy mix -j "$jobs" \
            >"$log/$name.fuzz" 2>&1; then
            first=$(grep -m1 -E '^(fail|crash|error|nondeterministic) ' "$log/$name.fuzz" |
                        sed -E 's/^([a-z]+) +run [0-9]+ ([^:]+):.*/\1 \2/')
            by="fuzz ($(basename "${first#* }") ${first%% *})"
        fi
    fi
    if [ -z "$by" ] && [ "$rest" != 0 ]; then
        (cd "$bld" && ctest -E "every_build|$area" -j "$jobs" --stop-on-failure --timeout 600 \
            >"$log/$name.ctest-rest" 2>&1)
        by=$(first_failed "$log/$name.ctest-rest")
    fi
    (cd "$src" && git apply -R "$p")
    secs=$(($(date +%s) - t0))
    if [ -n "$by" ]; then
        echo "mutant: $name caught by $by in $secs s"
        caught=$((caught + 1))
    else
        echo "mutant: $name SURVIVED ($secs s)"
        survived=$((survived + 1))
    fi
done
# leave the scratch build unpatched for the next time
cmake --build "$bld" -j "$jobs" >"$log/build-clean" 2>&1 || true

total=$((caught + survived))
echo "$caught caught, $survived survived"
awk -v c="$caught" -v t="$total" \
    'BEGIN { printf "bench: mutants.caught %d/%d %.2f ratio\n", c, t, t ? c / t : 0 }'
exit 0
