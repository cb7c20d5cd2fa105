#!/usr/bin/env bash
# `iosim compare`'s contract: a run against itself (nothing missing, KS 0,
# exit 0 under the tightest tolerances), two seeds of one storage scenario
# (exit 0 within loose tolerances, 1 under p50=0% where latencies differ),
# a variant of the scenario (missing requests and a first divergence), the
# real capture against a simulated run, the capture against the simulated
# probe (bulk endpoints 4/5 and 1/2 paired by role), a real and a simulated
# READ(16) 4 KiB as one kind, usage mistakes (exit 2), the HTML page and the
# same output twice.
# Usage: compare_test.sh IOSIM SOURCE_DIR WORK_DIR
set -u
iosim=${1:?}; src=${2:?}; work=${3:?}
rm -rf "$work" && mkdir -p "$work"
fails=0 passes=0
check() { # description, then the command that must succeed
    local what=$1; shift
    if "$@"; then echo "ok   $what"; passes=$((passes + 1)); else echo "FAIL $what"; fails=$((fails + 1)); fi
}
status_of() { "$@" >"$work/out" 2>"$work/err"; echo $?; }

db=$work/c.db
scn=$src/scenarios/suite/storage/seqread-ss.yaml
# the variant reads 60 MiB instead of 64: four READ(10)s fewer
sed -e 's/size: 64m/size: 60m/' -e 's/ios: 64/ios: 60/' -e 's/count: 64/count: 60/' "$scn" \
    >"$work/seqread-60m.yaml"
"$iosim" run "$scn" --seed 1 --trace "$db" >/dev/null             # run 1
"$iosim" run "$scn" --seed 7 --trace "$db" >/dev/null             # run 2
"$iosim" import "$src/tests/fixtures/captures/usbmon-dlink-ax9u/usbmon.txt" --trace "$db" >/dev/null # run 3
"$iosim" run "$work/seqread-60m.yaml" --seed 1 --trace "$db" >/dev/null # run 4
check "four runs to compare" [ "$(sqlite3 "$db" 'SELECT count(*) FROM run')" = 4 ]

tight=(--tolerance p50=0% --tolerance p90=0% --tolerance p99=0% --tolerance ks=0
       --tolerance throughput=0% --tolerance missing=0 --tolerance extra=0 --tolerance mismatch=0)
check "a run against itself exits 0 under the tightest tolerances" \
    [ "$(status_of "$iosim" compare "$db" --run 1 --run 1 "${tight[@]}")" = 0 ]
check "... names both runs" \
    grep -qx 'compare: run A 1 (storage-seqread-ss, random, seed 1) vs run B 1 (storage-seqread-ss, random, seed 1)' "$work/out"
check "... 72 matched, nothing missing, extra or mismatched" \
    grep -qx 'requests: 72 matched, 0 missing, 0 extra, 0 mismatched (SCSI commands)' "$work/out"
check "... every transfer matched too" grep -q '^transfers: [0-9]* matched, 0 missing, 0 extra, 0 mismatched' "$work/out"
check "... no divergence" grep -qx 'first divergence: none' "$work/out"
check "... KS 0 for every kind" bash -c "grep '^kind: ' '$work/out' | grep -qv 'ks 0.000\$' && exit 1; grep -q '^kind: scsi READ(10) 1 MiB | n 64 64 ' '$work/out'"
check "... and ends within tolerance" [ "$(tail -n 1 "$work/out")" = "compare: within tolerance" ]

check "two seeds within loose tolerances exit 0" \
    [ "$(status_of "$iosim" compare "$db" --run 1 --run 2 --tolerance p50=50% --tolerance p90=50% \
         --tolerance missing=0 --tolerance extra=0 --tolerance throughput=5%)" = 0 ]
check "... with a tolerance: line for each" [ "$(grep -c '^tolerance: .*: ok' "$work/out")" = 5 ]
check "... the same requests" grep -qx 'requests: 72 matched, 0 missing, 0 extra, 0 mismatched (SCSI commands)' "$work/out"
check "... a throughput line" grep -Eq '^throughput: A [0-9.]+ MB/s, B [0-9.]+ MB/s \([-+][0-9.]+%\)$' "$work/out"
check "two seeds under p50=0% exit 1 (their latencies differ)" \
    [ "$(status_of "$iosim" compare "$db" --run 1 --run 2 --tolerance p50=0%)" = 1 ]
check "... naming a kind past it" grep -Eq '^tolerance: p50 INQUIRY 36 B: [-+][0-9.]+% > 0%$' "$work/out"
check "... and the count last" grep -Eqx 'compare: [0-9]+ tolerances exceeded' <(tail -n 1 "$work/out")

check "a divergent variant exits 0 without tolerances" \
    [ "$(status_of "$iosim" compare "$db" --run 1 --run 4)" = 0 ]
check "... four READ(10)s missing" grep -qx 'requests: 68 matched, 4 missing, 0 extra, 0 mismatched (SCSI commands)' "$work/out"
check "... a first divergence with its stream and positions" \
    grep -Eq '^first divergence: scsi stream 1 lun 0, A#[0-9]+ / B#[0-9]+$' "$work/out"
check "... three aligned items of context, then the missing command" \
    bash -c "grep -A4 '^first divergence:' '$work/out' | sed -n '2,4p' | grep -c '^  = A#' | grep -qx 3 &&
             grep -A4 '^first divergence:' '$work/out' | sed -n 5p | grep -q '^  - A#[0-9]* only in A: READ(10) lba'"
check "... and exits 1 under missing=0" \
    [ "$(status_of "$iosim" compare "$db" --run 1 --run 4 --tolerance missing=0)" = 1 ]
check "... saying so" grep -qx 'tolerance: missing SCSI commands: 4 > 0' "$work/out"

check "the real capture against a simulated run exits 0" \
    [ "$(status_of "$iosim" compare "$db" --run 3 --run 1)" = 0 ]
check "... names the capture" grep -qx 'compare: run A 3 (usbmon.txt, capture) vs run B 1 (storage-seqread-ss, random, seed 1)' "$work/out"
check "... pairs the host's device with the simulated one" grep -qx 'usb device 1: A bus2 devnum 53, B xhci0 devnum 1' "$work/out"
check "... and reports its first divergence" grep -q '^first divergence: scsi stream 1 lun 0' "$work/out"

# endpoints pair by role, not number: the dlink stick's bulk pipes are
# 4 in / 5 out, the simulated stick's 1 in / 2 out (by number, nothing
# lined up: 0 matched, 7 missing, 48 extra)
roles=$work/roles.db
"$iosim" import "$src/tests/fixtures/captures/usbmon-dlink-ax9u/usbmon.txt" --trace "$roles" >/dev/null
"$iosim" run "$src/scenarios/suite/storage/probe-usbscsid.yaml" --trace "$roles" >/dev/null
check "the capture against the simulated probe pairs the bulk pipes by role" \
    [ "$(status_of "$iosim" compare "$roles" --run 1 --run 2 -o "$work/roles.html")" = 0 ]
check "... 6 of the capture's 7 transfers matched (the MODE SELECT data has no partner)" \
    grep -qx 'transfers: 6 matched, 1 missing, 42 extra, 2 mismatched (USB transfers)' "$work/out"
check "... naming both sides' numbers" \
    bash -c "grep -qx 'usb device 1 bulk in #1: A ep 4, B ep 1' '$work/out' &&
             grep -qx 'usb device 1 bulk out #1: A ep 5, B ep 2' '$work/out' &&
             grep -qx 'usb device 1 control: A none, B ep 0' '$work/out'"
check "... kinds by role, both runs in one" grep -q '^kind: usb bulk in #1 13 B | n 2 15 |' "$work/out"
check "... no kind by number" bash -c "! grep -q '^kind: usb ep ' '$work/out'"
check "... and the page says the same" grep -q 'usb device 1 bulk in #1: A ep 4, B ep 1' "$work/roles.html"
check "... the SCSI alignment unchanged: READ CAPACITY(10) and MODE SELECT(6) missing, REQUEST SENSE mismatched" \
    grep -qx 'requests: 1 matched, 2 missing, 11 extra, 1 mismatched (SCSI commands)' "$work/out"

# a real READ(16) 4096 and a simulated one are one kind (op and length):
# the 4 TB dock's capture against 4 KiB reads of a 4 TiB simulated stick
dock=$work/dock.db
sed -e 's/blocks: 1048576/blocks: 8589934592/' -e 's/bs: 1m, size: 64m/bs: 4k, size: 64k/' \
    -e '/^expect:/,/^$/d' "$scn" >"$work/read16-4k.yaml"
"$iosim" import "$src/tests/fixtures/captures/usbmon-dock-154b-8001/usbmon.txt" --trace "$dock" >/dev/null
"$iosim" run "$work/read16-4k.yaml" --trace "$dock" >/dev/null
check "the dock's READ(16) 4 KiB and the simulated ones are one kind" \
    bash -c "'$iosim' compare '$dock' --run 1 --run 2 | grep -q '^kind: scsi READ(16) 4 KiB | n 168 16 |'"

check "the same comparison twice prints the same" \
    bash -c "'$iosim' compare '$db' --run 3 --run 2 -o '$work/p1.html' >'$work/o1' &&
             '$iosim' compare '$db' --run 3 --run 2 -o '$work/p2.html' >'$work/o2' &&
             cmp -s '$work/o1' '$work/o2' && cmp -s '$work/p1.html' '$work/p2.html'"

page=$work/compare.html
check "-o writes the page" [ "$(status_of "$iosim" compare "$db" --run 1 --run 4 -o "$page" --tolerance missing=0)" = 1 ]
for id in compare-runs compare-alignment compare-divergence compare-latency compare-cdf chart-cdf-0 \
          compare-throughput chart-compare-throughput compare-tolerance compare-verdict report-end; do
    check "... with #$id" grep -q "id=\"$id\"" "$page"
done
check "... data marks in the charts" grep -q 'data-mark="line"' "$page"
check "... the verdict" grep -q 'compare: 1 tolerances exceeded' "$page"
check "... and no script" bash -c "! grep -qi '<script' '$page'"

# the report's comparison section: a file with exactly one capture and one
# simulated run has it, others do not
pair=$work/pair.db
"$iosim" import "$src/tests/fixtures/captures/usbmon-dlink-ax9u/usbmon.txt" --trace "$pair" >/dev/null
"$iosim" run "$scn" --trace "$pair" >/dev/null
check "the report of a capture and a simulated run compares them" \
    bash -c "'$iosim' report '$pair' -o '$work/pair.html' && grep -q '<h2>8. Capture against simulation</h2>' '$work/pair.html' &&
             grep -q 'id=\"compare-alignment\"' '$work/pair.html' && grep -q 'id=\"chart-cdf-0\"' '$work/pair.html'"
check "... and a report of other runs has no such section" \
    bash -c "'$iosim' report '$db' -o '$work/four.html' && ! grep -q 'id=\"comparison\"' '$work/four.html'"

# a hostile file: markup in names, NULLs, rows that end before they start,
# residues past their length, huge numbers
cp "$db" "$work/hostile.db"
sqlite3 "$work/hostile.db" "UPDATE run SET scenario = '<script>alert(1)</script>' WHERE id = 1;
  UPDATE scsi_cmd SET op = NULL, start_ps = end_ps + 5 WHERE run_id = 1 AND rowid % 3 = 0;
  UPDATE scsi_cmd SET op = '<img src=x>_10', residue = len * 4, lba = 9223372036854775807 WHERE run_id = 4 AND rowid % 5 = 0;
  UPDATE usb_xfer SET dir = '<b>', setup = NULL, device = NULL, requested = -1 WHERE run_id = 1 AND rowid % 4 = 0;
  UPDATE usb_xfer SET submit_ps = -9223372036854775807, t_ps = 9223372036854775807 WHERE run_id = 4 AND rowid % 7 = 0;
  UPDATE scsi_cmd SET start_ps = -9223372036854775807, end_ps = 9223372036854775807, len = -9223372036854775807 WHERE run_id = 4 AND rowid % 7 = 1;"
check "a hostile file compares (exit 0)" \
    [ "$(status_of "$iosim" compare "$work/hostile.db" --run 1 --run 4 -o "$work/hostile.html")" = 0 ]
check "... and its markup comes out as text" \
    bash -c "! grep -q '<script\|<img\|<b>' '$work/hostile.html' && grep -q '&lt;script&gt;' '$work/hostile.html'"

check "a bad tolerance exits 2" [ "$(status_of "$iosim" compare "$db" --run 1 --run 2 --tolerance p50=abc)" = 2 ]
check "... naming it and why" grep -q "^iosim compare: --tolerance 'p50=abc': p50 wants a percentage" "$work/err"
check "an unknown tolerance key exits 2" [ "$(status_of "$iosim" compare "$db" --run 1 --run 2 --tolerance p75=5%)" = 2 ]
check "... saying so" grep -q "^iosim compare: --tolerance 'p75=5%': unknown key" "$work/err"
check "--run once exits 2" [ "$(status_of "$iosim" compare "$db" --run 1)" = 2 ]
check "--run three times exits 2" [ "$(status_of "$iosim" compare "$db" --run 1 --run 2 --run 3)" = 2 ]
check "a bad --run exits 2" [ "$(status_of "$iosim" compare "$db" --run x --run 2)" = 2 ]
check "a run not in the database exits 2" [ "$(status_of "$iosim" compare "$db" --run 1 --run 99)" = 2 ]
check "... saying so" grep -qx 'iosim compare: no run 99 in the database' "$work/err"
check "a missing database exits 2" [ "$(status_of "$iosim" compare "$work/nope.db" --run 1 --run 2)" = 2 ]
check "no database exits 2" [ "$(status_of "$iosim" compare --run 1 --run 2)" = 2 ]
check "--help lists the tolerance keys" \
    bash -c "'$iosim' compare --help | grep -q 'throughput=P%' && '$iosim' compare --help | grep -q 'missing=N, extra=N, mismatch=N'"

echo "compare: $passes passed, $fails failed"
[ $fails -eq 0 ]
