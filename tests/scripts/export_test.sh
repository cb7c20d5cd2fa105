#!/usr/bin/env bash
# `iosim export`: a simulated storage run exported to pcap is what Wireshark
# (tshark) reads as USB mass storage - no malformed packet, no expert error,
# one CBW per scsi_cmd row and the same SCSI opcodes - and what `iosim
# import` turns back into the same usb_xfer and scsi_cmd rows; the same run
# exported to Perfetto's trace-event JSON parses and has the tracks it
# should; the exit statuses and messages of the contract, with no file left
# behind on an error; a hostile database cannot break either format.
# Usage: export_test.sh IOSIM SOURCE_DIR WORK_DIR
set -u
iosim=${1:?}; src=${2:?}; work=${3:?}
rm -rf "$work" && mkdir -p "$work"
fails=0
check() { # description, then the command that must succeed
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
status_of() { "$@" >"$work/out" 2>"$work/err"; echo $?; }
# make test installs tshark (scripts/install-deps.sh): its absence is a
# failure to say, never a pass
if ! command -v tshark >/dev/null; then
    echo "FAIL tshark is not installed (scripts/install-deps.sh installs it): cannot check the pcap export"
    exit 1
fi
command -v sqlite3 >/dev/null || { echo "FAIL sqlite3 is not installed"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL python3 is not installed"; exit 1; }
# tshark warns when run as root; the warning is not what is checked
ts() { tshark "$@" 2>/dev/null; }

# ---- the exit-status contract ------------------------------------------------
db=$work/sim.db
"$iosim" run "$src/scenarios/suite/storage/probe-usbscsid.yaml" --trace "$db" >"$work/run.out" ||
    { echo "FAIL the storage scenario did not run"; cat "$work/run.out"; exit 1; }
"$iosim" run "$src/tests/fixtures/cli/pass.yaml" --trace "$db" >/dev/null ||
    { echo "FAIL the USB-less scenario did not run"; exit 1; }
run=$(sqlite3 "$db" "SELECT min(run_id) FROM usb_xfer")
nousb=$(sqlite3 "$db" "SELECT max(id) FROM run WHERE id NOT IN (SELECT run_id FROM usb_xfer)")
check "the storage run has usb_xfer rows" [ -n "$run" ]
check "the other run has none" [ -n "$nousb" ]
o=$work/x.pcap
no_file() { [ ! -e "$o" ] && [ ! -e "$o.tmp" ]; }
check "no --run is a usage error" [ "$(status_of "$iosim" export "$db" --format pcap -o "$o")" = 2 ]
check "... named on stderr" grep -q '^iosim export: .*--run' "$work/err"
check "no --format is a usage error" [ "$(status_of "$iosim" export "$db" --run "$run" -o "$o")" = 2 ]
check "an unknown --format is a usage error" \
    [ "$(status_of "$iosim" export "$db" --run "$run" --format json -o "$o")" = 2 ]
check "no -o is a usage error" [ "$(status_of "$iosim" export "$db" --run "$run" --format pcap)" = 2 ]
check "a missing database exits 2" \
    [ "$(status_of "$iosim" export "$work/nope.db" --run 1 --format pcap -o "$o")" = 2 ]
check "... saying so" grep -q '^iosim export: .*nope.db' "$work/err"
for f in pcap perfetto; do
    check "$f: a run that does not exist exits 2" \
        [ "$(status_of "$iosim" export "$db" --run 999 --format $f -o "$o")" = 2 ]
    check "... with iosim export: on stderr" grep -q '^iosim export: .*999' "$work/err"
    check "... and leaves no file" no_file
done
check "pcap: a run without usb_xfer rows exits 2" \
    [ "$(status_of "$iosim" export "$db" --run "$nousb" --format pcap -o "$o")" = 2 ]
check "... saying it has none" grep -q '^iosim export: .*no usb_xfer rows' "$work/err"
check "... and leaves no file" no_file
check "perfetto: the same run exports (it has CPUs)" \
    [ "$(status_of "$iosim" export "$db" --run "$nousb" --format perfetto -o "$o")" = 0 ]
rm -f "$o"
bad=$work/bad.db
cp "$db" "$bad"
sqlite3 "$bad" "UPDATE usb_xfer SET data = 'zz 01' WHERE rowid = (SELECT min(rowid) FROM usb_xfer)"
check "pcap: a data column that is not hex exits 2" \
    [ "$(status_of "$iosim" export "$bad" --run "$run" --format pcap -o "$o")" = 2 ]
check "... naming the row" grep -q '^iosim export: .*usb_xfer row 1 .*hex' "$work/err"
check "... and leaves no file" no_file
sqlite3 "$bad" "UPDATE usb_xfer SET data = '$(printf '00 %.0s' $(seq 40))00' WHERE rowid = (SELECT min(rowid) FROM usb_xfer)"
check "pcap: a data column longer than 32 bytes exits 2" \
    [ "$(status_of "$iosim" export "$bad" --run "$run" --format pcap -o "$o")" = 2 ]
check "... and leaves no file" no_file

# ---- pcap: what Wireshark reads, and the round trip through iosim import ----
pcap_checks() { # DB RUN TAG
    local db=$1 run=$2 tag=$3
    local pcap=$work/$tag.pcap imp=$work/$tag-import.db
    check "$tag: pcap export exits 0" \
        [ "$(status_of "$iosim" export "$db" --run "$run" --format pcap -o "$pcap")" = 0 ]
    check "... and no .tmp is left" [ ! -e "$pcap.tmp" ]
    check "tshark reads the file" bash -c "tshark -r '$pcap' >/dev/null 2>&1"
    local frames xfers cbws csws cmds
    frames=$(ts -r "$pcap" | wc -l)
    xfers=$(sqlite3 "$db" "SELECT count(*) FROM usb_xfer WHERE run_id = $run")
    check "two frames per usb_xfer row ($frames for $xfers)" [ "$frames" = $((2 * xfers)) ]
    check "no malformed packet" [ -z "$(ts -r "$pcap" -Y _ws.malformed)" ]
    check "no expert information at all" [ -z "$(ts -r "$pcap" -Y _ws.expert)" ]
    # Wireshark decodes the bulk endpoints as mass storage without -d: it
    # has seen the GET_DESCRIPTOR(configuration) response on endpoint 0,
    # whose interface descriptor (bytes 9..17, inside the 32 kept) says
    # class 8, subclass 6 (SCSI), protocol 0x50 (Bulk-Only)
    cbws=$(ts -r "$pcap" -Y usbms.dCBWSignature | wc -l)
    csws=$(ts -r "$pcap" -Y usbms.dCSWSignature | wc -l)
    cmds=$(sqlite3 "$db" "SELECT count(*) FROM scsi_cmd WHERE run_id = $run")
    check "one CBW decoded per scsi_cmd row ($cbws for $cmds)" [ "$cbws" = "$cmds" ]
    check "one CSW decoded per scsi_cmd row ($csws for $cmds)" [ "$csws" = "$cmds" ]
    # Wireshark files a direct-access device's opcodes, SPC ones included,
    # under scsi_sbc.opcode
    ts -r "$pcap" -Y usbms.dCBWSignature -T fields -e scsi_sbc.opcode |
        while read -r x; do echo $((x)); done >"$work/$tag.ops.tshark"
    sqlite3 "$db" "SELECT opcode FROM scsi_cmd WHERE run_id = $run ORDER BY start_ps" \
        >"$work/$tag.ops.sim"
    check "the SCSI opcodes Wireshark decodes are the run's, in order" \
        cmp -s "$work/$tag.ops.tshark" "$work/$tag.ops.sim"
    check "exporting again gives the same bytes" \
        bash -c "'$iosim' export '$db' --run $run --format pcap -o '$work/again.pcap' && cmp -s '$pcap' '$work/again.pcap'"
    check "iosim import reads the export" \
        [ "$(status_of "$iosim" import "$pcap" --trace "$imp")" = 0 ]
    # import starts its clock at the first event (the first submission) and
    # names the device by its bus; times were truncated to ns on the way out
    local t0 cols scols
    t0=$(sqlite3 "$db" "SELECT min(submit_ps) / 1000 FROM usb_xfer WHERE run_id = $run")
    cols="urb, bus, devnum, ep, dir, xfer, setup, requested, actual, status, coalesce(data, '')"
    sqlite3 "$db" "SELECT $cols, (submit_ps / 1000 - $t0) * 1000, (t_ps / 1000 - $t0) * 1000
                   FROM usb_xfer WHERE run_id = $run ORDER BY urb, submit_ps" >"$work/$tag.xfer.sim"
    sqlite3 "$imp" "SELECT $cols, submit_ps, t_ps FROM usb_xfer WHERE run_id = 1
                    ORDER BY urb, submit_ps" >"$work/$tag.xfer.imp"
    check "usb_xfer rows round-trip ($(wc -l <"$work/$tag.xfer.sim") rows)" \
        cmp -s "$work/$tag.xfer.sim" "$work/$tag.xfer.imp"
    check "... the device is the bus after import" \
        [ "$(sqlite3 "$imp" "SELECT DISTINCT device FROM usb_xfer")" = bus1 ]
    # usbscsid's scsi_cmd times are its own view (when it queued and when
    # it saw the CSW); the import's are the wire's (CBW submission, CSW
    # completion): the rows agree on everything but time
    scols="lun, tag, op, opcode, lba, blocks, dir, len, residue, status, sense_key, asc, ascq"
    sqlite3 "$db" "SELECT $scols FROM scsi_cmd WHERE run_id = $run ORDER BY tag, start_ps" \
        >"$work/$tag.scsi.sim"
    sqlite3 "$imp" "SELECT $scols FROM scsi_cmd WHERE run_id = 1 ORDER BY tag, start_ps" \
        >"$work/$tag.scsi.imp"
    check "scsi_cmd rows round-trip but for their times ($(wc -l <"$work/$tag.scsi.sim") rows)" \
        cmp -s "$work/$tag.scsi.sim" "$work/$tag.scsi.imp"
}

pcap_checks "$db" "$run" probe
check "probe: among the opcodes INQUIRY, READ CAPACITY(10), READ(10) and WRITE(10)" \
    bash -c "for op in 18 37 40 42; do grep -qx \$op '$work/probe.ops.tshark' || exit 1; done"
check "probe: a CSW with CHECK CONDITION is decoded as such" \
    [ -n "$(ts -r "$work/probe.pcap" -Y 'usbms.dCSWStatus == 1')" ]
check "probe: the import decodes the command with sense data" \
    grep -q '|check_condition|6|' "$work/probe.scsi.imp"
# an endpoint fault halts bulk IN (in this run the host's first read of a
# CSW after a WRITE): -32, a clear-halt, the CSW read again - a good
# command for usbscsid and for the import alike
stall=$work/stall.db
"$iosim" run "$src/scenarios/suite/storage/stall-data-stage.yaml" --trace "$stall" >/dev/null ||
    echo "FAIL the stall scenario did not run"
pcap_checks "$stall" 1 stall
check "stall: the halted transfer is in the capture" \
    [ -n "$(ts -r "$work/stall.pcap" -Y 'usb.urb_status == -32 && usb.transfer_type == 3')" ]
check "stall: and its CLEAR_FEATURE(ENDPOINT_HALT)" \
    [ -n "$(ts -r "$work/stall.pcap" -Y 'usb.setup.bRequest == 1 && usb.bmRequestType == 0x02')" ]

# ---- perfetto -----------------------------------------------------------------
json=$work/run.json
check "perfetto: the storage run exports (exit 0)" \
    [ "$(status_of "$iosim" export "$db" --run "$run" --format perfetto -o "$json")" = 0 ]
validate() { # FILE: parses, has traceEvents, X events with numeric ts/dur >= 0, tracks
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
assert isinstance(ev, list) and ev, "no traceEvents"
xs = [e for e in ev if e["ph"] == "X"]
for e in xs:
    for k in ("ts", "dur"):
        assert isinstance(e[k], (int, float)) and not isinstance(e[k], bool), (k, e)
        assert e[k] >= 0, (k, e)
cats = {e.get("cat") for e in xs}
for c in ("sched", "usb_xfer", "scsi_cmd"):
    assert c in cats, "no X events of " + c
names = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
assert any(n.startswith("cpu ") for n in names), "no cpu track"
cs = [e for e in ev if e["ph"] == "C"]
assert cs, "no ring occupancy counters"
for e in cs:
    assert isinstance(e["args"]["entries"], int) and e["args"]["entries"] >= 0, e
assert any(e["ph"] == "i" and e.get("cat") == "ring_op" for e in ev), "no ring_op instants"
assert d["displayTimeUnit"] == "ns"
PY
}
check "... parses, with cpu, usb_xfer and scsi_cmd tracks and sane times" validate "$json"
check "... the same bytes every time" \
    bash -c "'$iosim' export '$db' --run $run --format perfetto -o '$work/again.json' && cmp -s '$json' '$work/again.json'"
# hostile strings: quotes, backslashes, control characters, bytes that
# are not UTF-8, a would-be end of the document
cp "$db" "$bad"
sqlite3 "$bad" "UPDATE process SET name = 'a\"b\\c' || char(1) || char(10) || '\"]}' || CAST(X'FF80C3' AS TEXT) WHERE run_id = $run;
                UPDATE usb_xfer SET device = '\"},{' || char(9) WHERE run_id = $run;
                UPDATE run SET scenario = '\\\"' || char(0x7f) WHERE id = $run"
check "perfetto: hostile strings in the database still give valid JSON" \
    bash -c "'$iosim' export '$bad' --run $run --format perfetto -o '$work/bad.json' && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$work/bad.json'"
check "... and it still has its tracks" validate "$work/bad.json"

echo "export: $fails failed"
[ "$fails" -eq 0 ]
