#!/usr/bin/env bash
# The capture importers under libFuzzer (tests/libfuzzer): builds the
# targets with clang (-fsanitize=fuzzer,address,undefined) in BUILD, runs
# each target on its regression inputs (tests/libfuzzer/regressions/<t>/,
# inputs that once failed), then fuzzes it for SECONDS from the committed
# seed corpus plus what earlier runs in BUILD found (BUILD/corpus/<t>; the
# committed corpus is never written). A crash, a leak, a sanitizer report
# or a timeout fails the run, and libFuzzer keeps the input as
# BUILD/artifacts/<t>-crash-... to reproduce with `BUILD/.../fuzz_<t> FILE`.
#   make test:  a short run (ctest fuzz.libfuzzer)
#   make fuzz:  a long one (FUZZ_SECONDS a target, default 600)
# Usage: libfuzzer.sh SRC BUILD SECONDS
set -u
src=${1:?usage: libfuzzer.sh SRC BUILD SECONDS}
build=${2:?usage: libfuzzer.sh SRC BUILD SECONDS}
seconds=${3:?usage: libfuzzer.sh SRC BUILD SECONDS}
targets=(usbmon_text pcap pcapng)

if ! command -v clang >/dev/null; then
    echo "libfuzzer: clang is not installed (make test installs it: scripts/install-deps.sh)" >&2
    exit 1
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DIOSIM_LIBFUZZER=ON \
        -DIOSIM_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 || {
        cat "$build.configure.log" >&2
        exit 1
    }
fi
cmake --build "$build" -j 2 --target "${targets[@]/#/fuzz_}" >"$build.build.log" 2>&1 || {
    cat "$build.build.log" >&2
    exit 1
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fail=0
for t in "${targets[@]}"; do
    exe="$build/tests/libfuzzer/fuzz_$t"
    seeds="$src/tests/libfuzzer/corpus/$t"
    found="$build/corpus/$t"
    mkdir -p "$found" "$build/artifacts"
    regressions=("$src/tests/libfuzzer/regressions/$t"/*)
    if [ -e "${regressions[0]}" ]; then
        if ! "$exe" "${regressions[@]}" >"$build/$t.regressions.log" 2>&1; then
            echo "libfuzzer: fuzz_$t fails on a regression input:" >&2
            tail -40 "$build/$t.regressions.log" >&2
            fail=1
            continue
        fi
    fi
    log="$build/$t.log"
    if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -dict="$src/tests/libfuzzer/capture.dict" -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t-" "$found" "$seeds" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "libfuzzer: fuzz_$t ${runs:-?} inputs in $seconds s, corpus $(ls "$found" | wc -l) found + $(ls "$seeds" | wc -l) seeds, no failure"
    else
        echo "libfuzzer: fuzz_$t FAILED (input kept under $build/artifacts/):" >&2
        grep -E "ERROR|SUMMARY|#0 |#1 |#2 |#3 " "$log" | head -30 >&2
        fail=1
    fi
done
exit $fail
