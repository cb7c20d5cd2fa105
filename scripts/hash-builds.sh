#!/usr/bin/env bash
# Configures and builds the `iosim` binary in every build type the trace hash
# must not depend on (docs/architecture.md, "The same hash in every build"),
# each in its own tree under build-hash/, and prints one NAME=BINARY line per
# build for tests/scripts/hash_builds.sh. The RelWithDebInfo gcc build is the
# main tree (build/), the one the other hashes are compared with.
#   gcc and clang  x  Release (-O2 -DNDEBUG), RelWithDebInfo (-O2 -g, assertions),
#                     Debug (-O0 -g), ASan+UBSan (-O2 -g)
# Trees are configured once and rebuilt incrementally (only the iosim target).
# Usage: scripts/hash-builds.sh [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
cmake=${CMAKE:-cmake}
for cc in gcc clang; do
    for type in Release RelWithDebInfo Debug ASan; do
        name=$cc-$type
        [ "$name" = gcc-RelWithDebInfo ] && continue # the main tree
        dir=build-hash/$name
        if [ ! -f "$dir/CMakeCache.txt" ]; then
            opts=(-DCMAKE_C_COMPILER="$cc" -DIOSIM_TESTS=OFF)
            if [ "$type" = ASan ]; then
                opts+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOSIM_SANITIZE=ON)
            else
                opts+=(-DCMAKE_BUILD_TYPE="$type")
            fi
            "$cmake" -S . -B "$dir" "${opts[@]}" >&2
        fi
        "$cmake" --build "$dir" -j "$jobs" --target iosim >&2
        echo "$name=$PWD/$dir/iosim"
    done
done
