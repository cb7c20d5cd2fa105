#!/usr/bin/env bash
# Same scenario + same seed = same trace hash, whoever runs it and however
# iosim was built. Runs every scenario under SCENARIOS with REF twice (two
# processes, the path spelled differently) and once with every other build,
# under five settings: the scenario's own seed and policy, its own policy at
# another seed, random at two seeds, and pct:3; and compares every
# scenario's trace-hash line. The first scenario that differs is printed
# with both hashes and the commands that reproduce each.
#
# Usage: hash_builds.sh REF SCENARIOS [NAME=BINARY...]
#   without NAME=BINARY arguments the builds come from $IOSIM_HASH_BUILDS
#   (space-separated NAME=BINARY, as scripts/hash-builds.sh prints them; `make
#   test` sets it); with none at all only the two processes of REF are
#   compared and the test is skipped (exit 77) after that comparison.
set -u
ref=${1:?usage: hash_builds.sh REF SCENARIOS [NAME=BINARY...]}
dir=${2:?usage: hash_builds.sh REF SCENARIOS [NAME=BINARY...]}
shift 2
builds=("$@")
# shellcheck disable=SC2206
[ ${#builds[@]} -eq 0 ] && builds=(${IOSIM_HASH_BUILDS:-})
ref_name=${IOSIM_HASH_REF_NAME:-gcc-RelWithDebInfo}

settings=("" "--seed 1009" "--policy random --seed 31" "--policy random --seed 1009"
          "--policy pct:3 --seed 8")

hashes() { # binary, scenarios path, settings -> sorted "scenario hash" lines
    # shellcheck disable=SC2086
    "$1" suite "$2" -j 2 $3 2>/dev/null |
        awk '
            function canon(p,    n, i, part, out, k) { # "a/../a/./b" -> "a/b"
                n = split(p, part, "/"); k = 0
                for (i = 1; i <= n; i++) {
                    if (part[i] == "." || part[i] == "") continue
                    if (part[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
                    out[++k] = part[i]
                }
                p = out[1]; for (i = 2; i <= k; i++) p = p "/" out[i]
                return p
            }
            /trace-hash:/ { print canon($2), $NF }' | sort
}

# Prints the first scenario whose hash differs between two "scenario hash" lists.
first_difference() { # name A, list A, name B, binary B, list B, settings
    join -a 1 -a 2 -e none -o 0,1.2,2.2 <(printf '%s\n' "$2") <(printf '%s\n' "$5") |
        awk -v a="$1" -v b="$3" -v bin_a="$ref" -v bin_b="$4" -v s="$6" '
            $2 != $3 {
                printf "FAIL: %s (%s): %s %s, %s %s\n", $1, s == "" ? "its own seed and policy" : s, a, $2, b, $3
                printf "  reproduce: %s run %s%s\n  reproduce: %s run %s%s\n", bin_a, $1, (s == "" ? "" : " " s), bin_b, $1, (s == "" ? "" : " " s)
                exit
            }'
}

status=0
total=0
for s in "${settings[@]}"; do
    a=$(hashes "$ref" "$dir" "$s")
    n=$(printf '%s\n' "$a" | grep -c .)
    total=$((total + n))
    if [ "$n" -lt 10 ]; then
        echo "FAIL: only $n scenarios gave a hash with $ref (${s:-own seed and policy})"
        status=1
        continue
    fi
    # the second process spells the path differently: the hash must not care
    b=$(hashes "$ref" "$dir/../$(basename "$dir")/." "$s")
    if [ "$a" != "$b" ]; then
        first_difference "$ref_name" "$a" "$ref_name(2nd process)" "$ref" "$b" "$s"
        status=1
    fi
    for nb in "${builds[@]}"; do
        name=${nb%%=*}; bin=${nb#*=}
        if [ ! -x "$bin" ]; then
            echo "FAIL: $name: no binary at $bin"; status=1; continue
        fi
        c=$(hashes "$bin" "$dir" "$s")
        if [ "$a" != "$c" ]; then
            first_difference "$ref_name" "$a" "$name" "$bin" "$c" "$s"
            status=1
        fi
    done
done
names=$(for nb in "${builds[@]}"; do printf '%s ' "${nb%%=*}"; done)
if [ ${#builds[@]} -eq 0 ]; then
    [ $status -eq 0 ] && echo "ok: $total runs, same hashes in two processes of $ref"
    echo "skipped: no other builds to compare (set IOSIM_HASH_BUILDS; \`make test\` does)"
    [ $status -eq 0 ] && exit 77
    exit $status
fi
[ $status -eq 0 ] &&
    echo "ok: $total runs (${#settings[@]} settings), the same hash in $ref_name (two processes) and ${names% }"
exit $status
