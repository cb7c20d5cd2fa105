#!/usr/bin/env bash
# The command line's contracts: exit statuses, the `file:line:col:` error
# form, `trace-hash:`, the repro line and that it reproduces, `N passed, N
# failed`, JUnit output, the trace database and the report.
# Usage: cli_test.sh IOSIM SOURCE_DIR WORK_DIR
set -u
iosim=${1:?}; src=${2:?}; work=${3:?}
fx=$src/tests/fixtures/cli
rm -rf "$work" && mkdir -p "$work"
fails=0
check() { # description, then the command that must succeed
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
status_of() { "$@" >"$work/out" 2>"$work/err"; echo $?; }

check "no arguments is a usage error" [ "$(status_of "$iosim")" = 2 ]
check "unknown command is a usage error" [ "$(status_of "$iosim" frobnicate)" = 2 ]
for c in "" run suite report pcid; do
    check "iosim $c --help exits 0 and prints usage" \
        bash -c "'$iosim' $c --help | grep -q '^usage: iosim'"
done

check "a passing scenario exits 0" [ "$(status_of "$iosim" run "$fx/pass.yaml")" = 0 ]
check "... and prints a well-formed trace-hash line" grep -Eq '^trace-hash: [0-9a-f]{16}$' "$work/out"
check "... and no repro line" bash -c "! grep -q '^repro:' '$work/out'"

check "a failing scenario exits 1" [ "$(status_of "$iosim" run "$fx/fail.yaml" --seed 9)" = 1 ]
check "... names the failed expectation with its position" \
    grep -q "fail.yaml:8:5: memory\[0x100\] (4 bytes) = 5, expected == 6" "$work/out"
check "... and prints the exact repro command" \
    grep -qx "repro: iosim run $fx/fail.yaml --seed 9 --policy fifo" "$work/out"
hash1=$(grep '^trace-hash:' "$work/out")
repro=$(sed -n 's/^repro: iosim //p' "$work/out")
# shellcheck disable=SC2086
"$iosim" $repro >"$work/out2"
check "the repro command reproduces the same trace hash" [ "$(grep '^trace-hash:' "$work/out2")" = "$hash1" ]

check "a malformed scenario exits 2" [ "$(status_of "$iosim" run "$fx/bad.yaml")" = 2 ]
check "... with file:line:col: message" \
    grep -q "bad.yaml:6:30: unknown key 'valu' in store (expected one of: addr, size, order, value)" "$work/err"
check "a missing scenario exits 2" [ "$(status_of "$iosim" run "$fx/nope.yaml")" = 2 ]
check "a bad --seed exits 2" [ "$(status_of "$iosim" run "$fx/pass.yaml" --seed x1)" = 2 ]
check "a bad --policy exits 2" [ "$(status_of "$iosim" run "$fx/pass.yaml" --policy lifo)" = 2 ]
check "an unwritable trace file exits 2" [ "$(status_of "$iosim" run "$fx/pass.yaml" --trace /nonexistent/dir/t.db)" = 2 ]

db=$work/t.db
check "suite with a bad scenario exits 2" \
    [ "$(status_of "$iosim" suite "$fx" -j 2 --junit "$work/j.xml" --trace "$db")" = 2 ]
check "... and ends with the contract line" [ "$(tail -n 1 "$work/out")" = "1 passed, 2 failed" ]
check "... JUnit has three test cases" [ "$(grep -c '<testcase ' "$work/j.xml")" = 3 ]
check "... one failure and one error" \
    bash -c "grep -q 'failures=\"1\" errors=\"1\"' '$work/j.xml'"
check "suite of passing scenarios exits 0" [ "$(status_of "$iosim" suite "$fx/pass.yaml")" = 0 ]
check "... 1 passed, 0 failed" [ "$(tail -n 1 "$work/out")" = "1 passed, 0 failed" ]
check "suite with a failing scenario exits 1" [ "$(status_of "$iosim" suite "$fx/pass.yaml" "$fx/fail.yaml")" = 1 ]
check "suite of an empty directory exits 2" [ "$(status_of "$iosim" suite "$work/empty-does-not-exist")" = 2 ]

check "report on the suite's database exits 0" [ "$(status_of "$iosim" report "$db")" = 0 ]
check "... lists the two runs" grep -q "2 runs (2 complete, 0 incomplete): 1 pass, 1 fail, 0 error" "$work/out"
check "report on something else exits 2" [ "$(status_of "$iosim" report "$fx/pass.yaml")" = 2 ]

pci=$src/tests/fixtures/pci
check "pcid on an lspci dump exits 0" \
    [ "$(status_of "$iosim" pcid "$pci/lspci-macbookpro12-1/lspci-vvvxxxx.txt")" = 0 ]
check "... and reports the xHCI controller as lspci does" \
    grep -qx "00:14.0 8086:9cb1 class 0c0330 rev 03 caps \[pm msi:8\] problems 0" "$work/out"
check "... with its 64-bit 64K BAR" grep -qx "  bar0 mem64 size 65536 at 0xc1800000" "$work/out"
check "pcid on a sysfs directory exits 0" [ "$(status_of "$iosim" pcid "$pci/sysfs-firecracker")" = 0 ]
check "... and finds its six functions" [ "$(tail -n 1 "$work/out")" = "6 functions, problems 0" ]
check "pcid on a file that is no dump exits 2" [ "$(status_of "$iosim" pcid "$fx/pass.yaml")" = 2 ]
check "pcid on a dump that does not parse exits 2, with file:line:col" \
    bash -c "printf '00:01.0 x\\n00: zz\\n' > '$work/bad.txt'; '$iosim' pcid '$work/bad.txt' 2>&1 >/dev/null | grep -q '^$work/bad.txt:2:5: '; [ \${PIPESTATUS[0]} = 2 ]"

echo "cli: $fails failed"
[ "$fails" -eq 0 ]
