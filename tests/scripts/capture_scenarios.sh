#!/usr/bin/env bash
# The scenarios that replay the real captures of tests/fixtures/captures/
# (scenarios/suite/captures/<capture>.yaml, by iosim replay-capture) and
# the timing profiles calibrated to them (tests/fixtures/captures/<capture>/
# profile.yaml, by iosim calibrate), written into OUT (default: the tree).
#   tests/scripts/capture_scenarios.sh IOSIM SRC [OUT]
# make test runs it into a scratch OUT and checks the committed files are
# what the tools write today (tests/scripts/capture_compare_test.sh).
set -euo pipefail
iosim=${1:?usage: capture_scenarios.sh IOSIM SRC [OUT]}
src=${2:?usage: capture_scenarios.sh IOSIM SRC [OUT]}
out=${3:-$src}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# capture, the speed it ran at (usbmon does not say; the SOURCE.md does), whether it has timing to fit
captures=(
    "usbmon-jms566-hdd super fit"
    "usbmon-dock-154b-8001 super fit"
    "usbmon-dlink-ax9u high -"
)
for line in "${captures[@]}"; do
    read -r cap speed fit <<<"$line"
    mkdir -p "$out/tests/fixtures/captures/$cap" "$out/scenarios/suite/captures"
    profile=()
    if [ "$fit" = fit ]; then
        # relative paths, so the profile's header names no scratch folder
        (cd "$scratch" && rm -f captures.db &&
         "$iosim" import "$src/tests/fixtures/captures/$cap/usbmon.txt" --trace captures.db >/dev/null &&
         "$iosim" calibrate captures.db --run 1 --speed "$speed" -o profile.yaml >/dev/null)
        cp "$scratch/profile.yaml" "$out/tests/fixtures/captures/$cap/profile.yaml"
        profile=(--profile "../../../tests/fixtures/captures/$cap/profile.yaml")
    fi
    (cd "$src" && "$iosim" replay-capture "tests/fixtures/captures/$cap/usbmon.txt" \
        --scenario "$scratch/$cap.yaml" --speed "$speed" "${profile[@]}" >/dev/null)
    cp "$scratch/$cap.yaml" "$out/scenarios/suite/captures/$cap.yaml"
done
