#!/usr/bin/env bash
# The recorded trace hashes: every scenario under SCENARIOS at seeds 1 and 7,
# under its own policy and under `random`, compared with LIST (one line per
# run: "seed policy scenario hash"). A difference means the simulation now
# does something else for the same input: a behaviour change, to be recorded
# on purpose, or a regression (a refactoring that should not change
# anything). Prints every differing run with both hashes and the command to
# reproduce it.
#
# Usage: hash_record.sh IOSIM SCENARIOS LIST            compare (exit 1 on a difference)
#        hash_record.sh IOSIM SCENARIOS LIST --update   rewrite LIST from IOSIM
# `make hashes` runs the second form for the default build (docs/architecture.md,
# "Recorded hashes"); say in the commit message why the hashes changed.
set -u
iosim=${1:?usage: hash_record.sh IOSIM SCENARIOS LIST [--update]}
dir=${2:?usage: hash_record.sh IOSIM SCENARIOS LIST [--update]}
list=${3:?usage: hash_record.sh IOSIM SCENARIOS LIST [--update]}
update=${4:-}

root=$(cd "$dir/.." && pwd)
rel=$(basename "$dir")
now=$(mktemp) || exit 2
trap 'rm -f "$now"' EXIT
for seed in 1 7; do
    for policy in own random; do
        args=(--seed "$seed")
        [ "$policy" = own ] || args+=(--policy "$policy")
        # run from the parent so the scenario paths in the list are relative
        (cd "$root" && "$iosim" suite "$rel" -j 2 "${args[@]}" 2>/dev/null) |
            awk -v seed="$seed" -v policy="$policy" \
                '/trace-hash:/ { print seed, policy, $2, $NF }'
    done
done | sort -k3,3 -k1,1n -k2,2 > "$now"

n=$(grep -c . "$now")
if [ "$n" -lt 40 ]; then
    echo "FAIL: only $n runs gave a trace hash; is $iosim built?"
    exit 1
fi
if [ "$update" = --update ]; then
    { echo "# seed policy scenario trace-hash; rewritten by \`make hashes\` (tests/scripts/hash_record.sh)"
      cat "$now"; } > "$list"
    echo "recorded $n trace hashes in $list"
    exit 0
fi
[ -n "$update" ] && { echo "unknown option $update"; exit 2; }
[ -f "$list" ] || { echo "FAIL: no recorded hashes at $list (make hashes writes them)"; exit 1; }

diffs=$(join -j1 -a1 -a2 -e none -o 0,1.2,2.2 \
    <(grep -v '^#' "$list" | awk '{print $3 "|" $1 "|" $2, $4}' | sort) \
    <(awk '{print $3 "|" $1 "|" $2, $4}' "$now" | sort) |
    awk '$2 != $3')
if [ -z "$diffs" ]; then
    echo "ok: $n runs, every trace hash as recorded in $list"
    exit 0
fi
echo "FAIL: trace hashes differ from $list (recorded, now):"
printf '%s\n' "$diffs" | head -20 | while read -r key old new; do
    IFS='|' read -r file seed policy <<< "$key"
    p=""; [ "$policy" = own ] || p=" --policy $policy"
    echo "  $file seed $seed policy $policy: $old, $new"
    echo "    reproduce: (cd $root && $iosim run $file --seed $seed$p)"
done
echo "$(printf '%s\n' "$diffs" | grep -c .) runs differ. If the change is meant to alter what the"
echo "simulation does, record the new hashes with \`make hashes\` and say why in the commit."
exit 1
