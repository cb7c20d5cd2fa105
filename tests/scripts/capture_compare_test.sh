#!/usr/bin/env bash
# The real captures of tests/fixtures/captures/ against the scenarios that
# replay them (scenarios/suite/captures/, on the profiles iosim calibrate
# fitted to them): each capture imported, its replay run, the two runs
# compared, and the comparison gated by `iosim compare --tolerance`, so a
# change that takes the simulated stack further from the hardware fails.
# First, the committed replays and profiles must be what
# tests/scripts/capture_scenarios.sh writes with today's tools.
# Usage: capture_compare_test.sh IOSIM SOURCE_DIR WORK_DIR
set -u
iosim=${1:?usage: capture_compare_test.sh IOSIM SOURCE_DIR WORK_DIR}
src=${2:?usage}
work=${3:?usage}
rm -rf "$work" && mkdir -p "$work"
fails=0
check() { # description, then the command that must succeed
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}

"$src/tests/scripts/capture_scenarios.sh" "$iosim" "$src" "$work/regen"
for f in $(cd "$work/regen" && find . -type f | sort); do
    check "$f is what replay-capture and calibrate write today" cmp -s "$work/regen/$f" "$src/$f"
done

# capture, then the tolerances its comparison must keep (docs/architecture.md,
# "Calibrating"): SCSI command kinds of at least `samples` requests in both
# runs are gated at p50 (USB transfers are not: usbmon stamps a completion
# at the URB's giveback, after the interrupt, the model's usb_xfer row at
# its event); the SCSI command counts are the alignment's today - the
# host's own bring-up commands that usbscsid does not send (missing), and
# usbscsid's that the host did not (extra)
cases=(
    "usbmon-jms566-hdd kinds=scsi samples=10 p50=15% missing=11 extra=2 mismatch=3"
    "usbmon-dock-154b-8001 kinds=scsi samples=20 p50=15% missing=115 extra=4 mismatch=3"
    "usbmon-dlink-ax9u missing=2 extra=7 mismatch=1"
)
for line in "${cases[@]}"; do
    read -r cap tols <<<"$line"
    db=$work/$cap.db
    "$iosim" import "$src/tests/fixtures/captures/$cap/usbmon.txt" --trace "$db" >/dev/null
    check "$cap: its replay passes" \
        sh -c "'$iosim' run '$src/scenarios/suite/captures/$cap.yaml' --trace '$db' >'$work/$cap.run'"
    args=()
    for t in $tols; do args+=(--tolerance "$t"); done
    check "$cap: the replay within the capture's tolerances ($tols)" \
        sh -c "'$iosim' compare '$db' --run 1 --run 2 ${args[*]} -o '$work/$cap.html' >'$work/$cap.out'"
    grep -E '^(requests|transfers|tolerance|compare):' "$work/$cap.out" | sed 's/^/     /'
done
echo "captures: $fails failed"
[ "$fails" -eq 0 ]
