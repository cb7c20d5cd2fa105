#!/usr/bin/env bash
# The command line's contracts: exit statuses, the `file:line:col:` error
# form, `trace-hash:`, the repro line and that it reproduces, `N passed, N
# failed`, JUnit output, the trace database and the report; the GNU option
# forms on every subcommand, one form for every usage mistake, and a --help
# that lists every option the command accepts.
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
for c in "" run suite fuzz replay shrink report merge pcid import replay-capture export compare calibrate; do
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
check "pcid on a 64-byte lspci paste exits 0" \
    [ "$(status_of "$iosim" pcid "$src/tests/fixtures/pci-partial/lspci-x-via-vl805/lspci-xxx.txt")" = 0 ]
check "... says the capabilities were not dumped, not that there are none" \
    grep -qx "0b:00.0 1106:3483 class 0c0330 rev 01 caps \[not dumped\] problems 0" "$work/out"
check "... gives the BAR's kind and address, its size unknown" \
    grep -qx "  bar0 mem64 size unknown (not in the dump) at 0xfb400000" "$work/out"
check "... and says where the capabilities start, as a problem" \
    grep -q "^  problem: the capability list starts at 0x80, beyond the 64 bytes dumped" "$work/out"
check "pcid on a sysfs directory exits 0" [ "$(status_of "$iosim" pcid "$pci/sysfs-firecracker")" = 0 ]
check "... and finds its six functions" [ "$(tail -n 1 "$work/out")" = "6 functions, problems 0" ]
check "pcid on a file that is no dump exits 2" [ "$(status_of "$iosim" pcid "$fx/pass.yaml")" = 2 ]
check "pcid on a dump that does not parse exits 2, with file:line:col" \
    bash -c "printf '00:01.0 x\\n00: zz\\n' > '$work/bad.txt'; '$iosim' pcid '$work/bad.txt' 2>&1 >/dev/null | grep -q '^$work/bad.txt:2:5: '; [ \${PIPESTATUS[0]} = 2 ]"

# ---- GNU option forms (sim/cli/opts.c), command by command ----------------------

hash_of() { grep -o 'trace-hash: [0-9a-f]*' "$1"; }
# mistake CMD WHAT ARGS...: iosim CMD ARGS... exits 2 with "iosim CMD: WHAT",
# a blank line and the usage on stderr.
mistake() {
    local cmd=$1 what=$2; shift 2
    # shellcheck disable=SC2016 # expanded by the inner shell
    check "iosim $cmd $*: exit 2, '$what', then the usage" \
        bash -c 'err=$0 want=$1 cmd=$2; shift 2
                 [ "$("$@" >/dev/null 2>"$err"; echo $?)" = 2 ] &&
                 [ "$(sed -n 1p "$err")" = "$want" ] && [ -z "$(sed -n 2p "$err")" ] &&
                 sed -n 3p "$err" | grep -q "^usage: iosim $cmd "' \
        "$work/mistake" "iosim $cmd: $what" "$cmd" "$iosim" "$cmd" "$@"
}
planted=$src/scenarios/planted/lost-update.yaml
cp "$fx/pass.yaml" "$work/-pass.yaml"

status_of "$iosim" run "$planted" --policy random --seed 5 >/dev/null; cp "$work/out" "$work/sep"
check "run --seed=5 --policy=random: the same run as --seed 5 --policy random" \
    [ "$(status_of "$iosim" run "$planted" --policy=random --seed=5)" = 1 ]
check "... the same seed line and trace-hash line" \
    bash -c "diff <(grep -E '^(seed|trace-hash):' '$work/sep') <(grep -E '^(seed|trace-hash):' '$work/out')"
check "... and seed 6 is another run (the seed took effect)" \
    [ "$("$iosim" run "$planted" --policy=random --seed=6 | hash_of /dev/stdin)" != "$(hash_of "$work/out")" ]
check "run with options before the scenario: the same run" \
    [ "$("$iosim" run --seed 5 --policy random "$planted" | hash_of /dev/stdin)" = "$(hash_of "$work/sep")" ]
check "run --se=5 --pol=random (unique prefixes): the same run" \
    [ "$("$iosim" run "$planted" --se=5 --pol=random | hash_of /dev/stdin)" = "$(hash_of "$work/sep")" ]
check "run --trace=FILE records the run" \
    bash -c "'$iosim' run '$fx/pass.yaml' --trace='$work/eq.db' >/dev/null && '$iosim' report '$work/eq.db' | grep -q ' 1 runs '"
check "run -- -pass.yaml: an operand starting with '-' after --" \
    [ "$(cd "$work" && status_of "$iosim" run -- -pass.yaml)" = 0 ]
mistake run "unrecognized option '--bogus'" "$fx/pass.yaml" --bogus
mistake run "unrecognized option '-x'" -x "$fx/pass.yaml"
mistake run "option '--seed' requires an argument" "$fx/pass.yaml" --seed
mistake run "option '--help' takes no value" "$fx/pass.yaml" --help=1
mistake run "--seed wants a non-negative integer, got 'x1'" "$fx/pass.yaml" --seed=x1
mistake run "--policy wants fifo, random or pct:D (D 1..16), got 'lifo'" "$fx/pass.yaml" --policy lifo
mistake run "unexpected argument 'extra'" "$fx/pass.yaml" extra
mistake run "no scenario given" --seed 1

check "suite -j2: the same as -j 2" \
    bash -c "[ \"\$('$iosim' suite '$fx/pass.yaml' -j2 | tail -n 1)\" = '1 passed, 0 failed' ]"
status_of "$iosim" suite "$planted" --seed 5 --policy random >/dev/null; cp "$work/out" "$work/sep"
check "suite --seed=5 --policy=random: the same run as --seed 5 --policy random" \
    [ "$("$iosim" suite --seed=5 --policy=random "$planted" | hash_of /dev/stdin)" = "$(hash_of "$work/sep")" ]
check "suite --trace=FILE --junit=FILE -j1 writes both" \
    bash -c "'$iosim' suite --trace='$work/s.db' --junit='$work/s.xml' -j1 '$fx/pass.yaml' >/dev/null &&
             '$iosim' report '$work/s.db' | grep -q ' 1 runs ' && grep -q '<testcase ' '$work/s.xml'"
check "suite -- -pass.yaml: an operand starting with '-' after --" \
    [ "$(cd "$work" && status_of "$iosim" suite -j 1 -- -pass.yaml)" = 0 ]
mistake suite "unrecognized option '--jobs'" "$fx/pass.yaml" --jobs 2
mistake suite "option '-j' requires an argument" "$fx/pass.yaml" -j
mistake suite "option '--junit' requires an argument" "$fx/pass.yaml" --junit
mistake suite "-j wants 1..64, got '0'" "$fx/pass.yaml" -j 0
mistake suite "-j wants 1..64, got '65'" "$fx/pass.yaml" -j65
mistake suite "--seed wants a non-negative integer, got '-1'" "$fx/pass.yaml" --seed=-1
mistake suite "no path given" -j 2

# ---- fuzz ---------------------------------------------------------------------------
fz=$src/scenarios/planted/lost-update.yaml
check "fuzz finds the planted race: exits 1" \
    [ "$(status_of "$iosim" fuzz "$fz" --runs 60 -j 2 --trace "$work/f.db")" = 1 ]
check "... ends with the contract line, runs adding up" \
    bash -c "tail -n 1 '$work/out' | grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed$' &&
             [ \$(tail -n 1 '$work/out' | awk '{print \$1 + \$3}') = 60 ]"
frepro=$(grep -m 1 '^      repro: ' "$work/out" | sed 's/^      repro: iosim //')
# shellcheck disable=SC2086
check "... and a printed repro fails on its own" [ "$(status_of "$iosim" $frepro)" = 1 ]
check "... every run has a summary row, every failure its whole trace" \
    bash -c "[ \$(sqlite3 '$work/f.db' 'SELECT count(*) FROM fuzz_run') = 60 ] &&
             [ \$(sqlite3 '$work/f.db' \"SELECT count(*) FROM fuzz_run WHERE result = 'fail' AND run_id IS NULL\") = 0 ] &&
             [ \$(sqlite3 '$work/f.db' \"SELECT count(*) FROM fuzz_run WHERE result = 'pass' AND run_id IS NOT NULL\") = 0 ]"
check "fuzz --junit: the campaign and each failing run are test cases" \
    bash -c "'$iosim' fuzz '$fz' --runs 30 --junit '$work/f.xml' >/dev/null; [ \$? = 1 ] &&
             n=\$(grep -c '<testcase ' '$work/f.xml') && f=\$(grep -c '<failure' '$work/f.xml') &&
             [ \$n -ge 2 ] && [ \$f = \$n ] && grep -q 'name=\"campaign: 30 runs\"' '$work/f.xml'"
check "a worker dying inside run 4: that run fails, the others run" \
    [ "$(IOSIM_FUZZ_CRASH_RUN=4 status_of "$iosim" fuzz "$fx/pass.yaml" --runs 10 -j 2)" = 1 ]
check "... 9 passed, 1 failed" [ "$(tail -n 1 "$work/out")" = "9 passed, 1 failed" ]
check "... named a crash, with the signal and its repro" \
    bash -c "grep -q '^crash  run 4 .*: the worker died of signal 6' '$work/out' &&
             grep -qx '      repro: iosim run $fx/pass.yaml --seed 5 --policy pct:3' '$work/out'"
check "suite: a worker whose assertion fails is a failed scenario, not a lost one" \
    [ "$(IOSIM_SUITE_ASSERT_FILE=pass.yaml status_of "$iosim" suite "$fx/pass.yaml")" != 0 ]
check "... it says which assertion, and counts it" \
    bash -c "grep -q '^ERROR .*pass.yaml: the worker process died (.*Assertion .file != IOSIM_SUITE_ASSERT_FILE. failed. - killed by signal 6)' '$work/out' &&
             [ \"\$(tail -n 1 '$work/out')\" = '0 passed, 1 failed' ]"
check "an assertion failing inside run 3: that run fails, the others run" \
    [ "$(IOSIM_FUZZ_ASSERT_RUN=3 status_of "$iosim" fuzz "$fx/pass.yaml" --runs 10 -j 2 --trace "$work/assert.db")" = 1 ]
check "... 9 passed, 1 failed" [ "$(tail -n 1 "$work/out")" = "9 passed, 1 failed" ]
check "... the failure line names the assertion, then the signal, and the repro follows" \
    bash -c "grep -q '^crash  run 3 .*cmd_fuzz.c:[0-9]*: worker: Assertion .run != IOSIM_FUZZ_ASSERT_RUN. failed. - the worker died of signal 6' '$work/out' &&
             grep -qx '      repro: iosim run $fx/pass.yaml --seed 4 --policy pct:2' '$work/out'"
check "... so does the fuzz_run row's failure column, and the worker's stderr is kept" \
    bash -c "sqlite3 '$work/assert.db' \"SELECT failure FROM fuzz_run WHERE result = 'crash'\" |
               grep -q 'Assertion .run != IOSIM_FUZZ_ASSERT_RUN. failed' &&
             grep -q 'Assertion .run != IOSIM_FUZZ_ASSERT_RUN. failed' '$work/err'"
check "fuzz of a passing scenario exits 0, checking determinism" \
    [ "$(status_of "$iosim" fuzz "$fx/pass.yaml" --runs 20 --check-determinism 3)" = 0 ]
check "... 20 passed, 0 failed" [ "$(tail -n 1 "$work/out")" = "20 passed, 0 failed" ]
check "a run whose second execution differs is a failure (exit 1)" \
    [ "$(IOSIM_FUZZ_NONDET_RUN=3 status_of "$iosim" fuzz "$fx/pass.yaml" --runs 6 --policy random \
           --check-determinism 3 --trace "$work/nondet.db")" = 1 ]
check "... reported with the first trace row where the two differ, and the one before" \
    bash -c "grep -q '^nondeterministic  run 3 .*: the same seed gave trace hash [0-9a-f]* then [0-9a-f]*; first difference at row [0-9]*, t=[0-9]* ps$' '$work/out' &&
             grep -q '^  first run:  sched t=[0-9]* cpu=' '$work/out' &&
             grep -q '^  second run: sched t=[0-9]* cpu=' '$work/out' &&
             grep -q '^  after row [0-9]*: sched t=0 cpu=' '$work/out'"
check "... and so is the fuzz_run row's failure column" \
    bash -c "sqlite3 '$work/nondet.db' \"SELECT failure FROM fuzz_run WHERE result = 'nondeterministic'\" |
               grep -q '^  second run: sched '"
"$iosim" fuzz "$fz" --runs 40 -j 3 --trace "$work/all.db" >/dev/null
for k in 0 1 2 3; do # four shards, from a Kubernetes Indexed Job's environment
    JOB_COMPLETION_INDEX=$k IOSIM_SHARDS=4 "$iosim" fuzz "$fz" --runs 40 -j 1 --trace "$work/sh$k.db" >/dev/null
done
rows() { sqlite3 "$1" "SELECT idx, seed, policy, result, trace_hash FROM fuzz_run ORDER BY idx"; }
check "four shards run exactly the runs of one campaign, with the same results" \
    bash -c "diff <(for k in 0 1 2 3; do sqlite3 '$work/sh'\$k.db 'SELECT idx, seed, policy, result, trace_hash FROM fuzz_run'; done | sort -n) \
                  <(sqlite3 '$work/all.db' 'SELECT idx, seed, policy, result, trace_hash FROM fuzz_run' | sort -n)"
check "SLURM_ARRAY_TASK_ID picks the shard too" \
    bash -c "SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4 '$iosim' fuzz '$fz' --runs 40 --trace '$work/sl.db' >/dev/null;
             diff <(sqlite3 '$work/sl.db' 'SELECT idx FROM fuzz_run ORDER BY idx') <(sqlite3 '$work/sh2.db' 'SELECT idx FROM fuzz_run ORDER BY idx')"
# ---- merge: the shards' databases into one --------------------------------------------
for k in 0 1 2 3; do # the same four shards from a Slurm array's environment (ids 1..4)
    SLURM_ARRAY_TASK_ID=$((k + 1)) SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4 \
        "$iosim" fuzz "$fz" --runs 40 -j 1 --trace "$work/sl$k.db" >/dev/null
done
fuzzq="SELECT idx, scenario, seed, policy, result, trace_hash, end_ps, failure, repro FROM fuzz_run ORDER BY idx"
traced() { # per row table, each run's trace hash and rows in that table; then the run rows
    for t in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'run', 'fuzz_run')"); do
        sqlite3 "$1" "SELECT '$t', r.trace_hash, count(*) FROM \"$t\" x JOIN run r ON r.id = x.run_id GROUP BY r.id" | sort
    done
    sqlite3 "$1" "SELECT scenario, seed, policy, result, trace_hash, rows FROM run" | sort
}
same_campaign() { # merged db: the same fuzz_run rows and traced runs as the one-process campaign
    diff <(sqlite3 "$1" "$fuzzq") <(sqlite3 "$work/all.db" "$fuzzq") >/dev/null &&
        diff <(traced "$1") <(traced "$work/all.db") >/dev/null &&
        [ "$(sqlite3 "$1" "SELECT count(*) FROM fuzz_run f JOIN run r ON r.id = f.run_id AND r.trace_hash = f.trace_hash")" = \
          "$(sqlite3 "$work/all.db" "SELECT count(*) FROM fuzz_run WHERE run_id IS NOT NULL")" ]
}
check "merge of the four Kubernetes shards exits 0" \
    [ "$(status_of "$iosim" merge "$work/mk.db" "$work/sh0.db" "$work/sh1.db" "$work/sh2.db" "$work/sh3.db")" = 0 ]
check "... equals the one-process campaign: fuzz_run rows, traced runs, rows per table" same_campaign "$work/mk.db"
"$iosim" merge "$work/ms.db" "$work"/sl[0-3].db >/dev/null
check "merge of the four Slurm shards (OUT created) equals it too" same_campaign "$work/ms.db"
counts() { sqlite3 "$1" "SELECT (SELECT count(*) FROM run), (SELECT count(*) FROM fuzz_run), (SELECT count(*) FROM process)"; }
before=$(counts "$work/mk.db")
check "merging a shard again, and OUT into itself, changes nothing" \
    bash -c "'$iosim' merge '$work/mk.db' '$work/sh2.db' '$work/mk.db' >/dev/null && [ \"\$(sqlite3 '$work/mk.db' \"SELECT (SELECT count(*) FROM run), (SELECT count(*) FROM fuzz_run), (SELECT count(*) FROM process)\")\" = '$before' ]"
check "... and says what was there already" grep -q "^merge: .*sh2.db: 0 runs copied, [1-9][0-9]* already there; 0 fuzz_run rows copied, 10 already there$" <("$iosim" merge "$work/mk.db" "$work/sh2.db")
rid=$(sqlite3 "$work/mk.db" "SELECT run_id FROM fuzz_run WHERE result = 'fail' ORDER BY idx DESC LIMIT 1")
check "a merged failure replays as the same run" [ "$(status_of "$iosim" replay "$work/mk.db" --run "$rid")" = 0 ]
check "report reads the merged database" bash -c "'$iosim' report '$work/mk.db' | grep -q '^schema version 1; [1-9][0-9]* runs'"
# a shrunk row (as iosim shrink stores it) follows the row it was shrunk from
cp "$work/sh1.db" "$work/shr.db"
sqlite3 "$work/shr.db" "INSERT INTO fuzz_run(campaign, idx, scenario, seed, policy, result, repro, shrunk_from)
    SELECT campaign, idx, scenario, seed, policy, 'fail', 'shrunk ' || repro, rowid FROM fuzz_run WHERE result = 'fail' LIMIT 1"
check "merge maps shrunk_from to the merged row of the same campaign and idx" \
    bash -c "'$iosim' merge '$work/mk.db' '$work/shr.db' | grep -q '1 fuzz_run rows copied, 10 already there' &&
             [ \$(sqlite3 '$work/mk.db' \"SELECT count(*) FROM fuzz_run s JOIN fuzz_run o ON o.rowid = s.shrunk_from
                   WHERE s.repro = 'shrunk ' || o.repro AND o.idx = s.idx AND o.campaign = s.campaign\") = 1 ]"
cp "$work/sh3.db" "$work/old.db" # an older file: fuzz_run without the later columns
sqlite3 "$work/old.db" "ALTER TABLE fuzz_run DROP COLUMN coverage; ALTER TABLE fuzz_run DROP COLUMN shrunk_from"
check "an older file merges what it has" \
    bash -c "'$iosim' merge '$work/mo.db' '$work/old.db' >/dev/null && [ \$(sqlite3 '$work/mo.db' 'SELECT count(*) FROM fuzz_run WHERE shrunk_from IS NULL') = 10 ]"
echo "not a database" >"$work/junk.db"
before=$(counts "$work/mk.db")
check "merge of a file that is not a trace: exit 2" [ "$(status_of "$iosim" merge "$work/mk.db" "$work/junk.db")" = 2 ]
check "... says what is wrong" [ "$(cat "$work/err")" = "iosim merge: $work/junk.db: not an iosim trace (file is not a database)" ]
check "... and OUT is unchanged" [ "$(counts "$work/mk.db")" = "$before" ]
check "merge of a missing file: exit 2, named" \
    bash -c "[ \"\$('$iosim' merge '$work/mk.db' '$work/nope.db' 2>&1 >/dev/null; echo \$?)\" = \"iosim merge: $work/nope.db: no such file
2\" ]"
mistake merge "no output database given"
mistake merge "no input database given" "$work/mk.db"

mistake fuzz "give one of --runs N and --time DURATION" "$fz"
mistake fuzz "give one of --runs N and --time DURATION" "$fz" --runs 3 --time 1s
mistake fuzz "--shard: expected K/N with 0 <= K < N, got '4/4'" "$fz" --runs 3 --shard 4/4
mistake fuzz "--time wants a duration (s, m, h), got '3x'" "$fz" --time 3x
mistake fuzz "no scenario given" --runs 3

check "fuzz --policy cover: coverage grows over the campaign and is printed" \
    bash -c "'$iosim' fuzz '$fz' '$src/scenarios/suite/rings/echo-ring.yaml' --runs 200 --policy cover -j 2 \
                 --trace '$work/cv.db' >'$work/cv.out'; [ \$? = 1 ] &&
             grep -Eq '^coverage: [0-9]+ pairs, corpus [0-9]+ runs$' '$work/cv.out' &&
             [ \$(sqlite3 '$work/cv.db' 'SELECT count(*) FROM fuzz_run WHERE coverage IS NULL') = 0 ] &&
             [ \$(sqlite3 '$work/cv.db' 'SELECT count(*) FROM fuzz_run a JOIN fuzz_run b ON b.idx = a.idx + 1
                                          WHERE b.coverage < a.coverage') = 0 ]"
check "... and is the same campaign with one worker" \
    bash -c "'$iosim' fuzz '$fz' '$src/scenarios/suite/rings/echo-ring.yaml' --runs 200 --policy cover -j 1 \
                 --trace '$work/cv1.db' >/dev/null;
             diff <(sqlite3 '$work/cv.db' 'SELECT idx, seed, result, trace_hash, coverage FROM fuzz_run ORDER BY idx') \
                  <(sqlite3 '$work/cv1.db' 'SELECT idx, seed, result, trace_hash, coverage FROM fuzz_run ORDER BY idx')"
mid=$(sqlite3 "$work/cv.db" "SELECT run_id FROM fuzz_run WHERE result = 'fail' AND repro LIKE '%--decisions%' LIMIT 1")
check "... whose mutants' failures replay the same" [ "$(status_of "$iosim" replay "$work/cv.db" --run "$mid")" = 0 ]
# ---- the fault swarm --------------------------------------------------------------------
sw=$src/tests/fixtures/swarm/swarm.yaml
check "run --faults swarm: a dropped interrupt fails it, exit 1" \
    [ "$(status_of "$iosim" run "$sw" --faults swarm --seed 2)" = 1 ]
check "... its repro carries the fault set explicitly" \
    grep -qx "repro: iosim run $sw --seed 2 --policy fifo --fault-set 'irq_drop:line=5:per_mille=278,irq_delay:line=5:per_mille=12:delay=20971ns'" "$work/out"
hash1=$(grep '^trace-hash:' "$work/out")
repro=$(sed -n 's/^repro: iosim //p' "$work/out")
eval "\"\$iosim\" $repro" >"$work/out2"
check "... and reproduces the same trace hash" [ "$(grep '^trace-hash:' "$work/out2")" = "$hash1" ]
check "... a subset of the set is a fault set too" \
    [ "$(status_of "$iosim" run "$sw" --seed 2 --fault-set 'irq_drop:line=5:per_mille=278')" = 1 ]
check "run --faults swarm draws the same set for the same seed" \
    bash -c "diff <('$iosim' run '$sw' --faults swarm --seed 4) <('$iosim' run '$sw' --faults swarm --seed 4)"
check "--fault-set with a fault the scenario does not allow exits 2" \
    [ "$(status_of "$iosim" run "$sw" --fault-set 'irq_drop:per_mille=5')" = 2 ]
check "... saying which and why" \
    grep -qx "iosim run: --fault-set: fault set: 'irq_drop:per_mille=5': the scenario does not allow this fault (its fuzz.faults)" "$work/err"
check "--fault-set with a rate out of the scenario's bounds exits 2" \
    [ "$(status_of "$iosim" run "$sw" --fault-set 'irq_drop:line=5:per_mille=400')" = 2 ]
check "... saying so" grep -q "per_mille is outside what the scenario allows" "$work/err"
check "--faults with an unknown mode exits 2" [ "$(status_of "$iosim" run "$sw" --faults all)" = 2 ]
check "... saying so" grep -qx "iosim run: --faults: expected swarm or none, got 'all'" "$work/err"
check "--faults swarm of a scenario without fuzz.faults runs it without, and says so" \
    bash -c "[ \"\$('$iosim' run '$fx/pass.yaml' --faults swarm 2>&1 >/dev/null)\" = \
              'iosim run: $fx/pass.yaml allows no faults (no fuzz.faults): it runs without' ]"
check "fuzz --faults swarm: failures, each repro with its fault set, exit 1" \
    bash -c "'$iosim' fuzz '$sw' '$fx/pass.yaml' --faults swarm --runs 24 -j 2 --trace '$work/sw.db' \
             >'$work/swo' 2>'$work/swe'; [ \$? = 1 ] && grep -q \"repro: iosim run $sw --seed [0-9]* --policy [a-z0-9:]* --fault-set '\" '$work/swo'"
check "... says once that pass.yaml allows no faults" \
    [ "$(grep -c 'pass.yaml allows no faults' "$work/swe")" = 1 ]
check "... fuzz_run.faults holds the set of every run that had one, NULL otherwise" \
    bash -c "[ \$(sqlite3 '$work/sw.db' \"SELECT count(*) FROM fuzz_run WHERE scenario = '$sw' AND faults IS NOT NULL\") = 12 ] &&
             [ \$(sqlite3 '$work/sw.db' \"SELECT count(*) FROM fuzz_run WHERE scenario != '$sw' AND faults IS NULL\") = 12 ]"
check "... each row's set is the one its seed draws" \
    bash -c "sqlite3 -separator ' ' '$work/sw.db' \"SELECT seed, policy, faults FROM fuzz_run WHERE scenario = '$sw' AND result = 'fail'\" |
             while read -r seed pol set; do '$iosim' run '$sw' --faults swarm --seed \$seed --policy \$pol | grep -qF -- \"--fault-set '\$set'\" || exit 1; done"
swid=$(sqlite3 "$work/sw.db" "SELECT run_id FROM fuzz_run WHERE result = 'fail' AND faults != 'none' ORDER BY idx LIMIT 1")
check "replay of a swarm failure reruns it with its fault set: the same run" \
    [ "$(status_of "$iosim" replay "$work/sw.db" --run "$swid")" = 0 ]
check "... replay: same" grep -Eq '^replay: same \(recorded fail, trace-hash [0-9a-f]{16}\)$' "$work/out"

# ---- import ---------------------------------------------------------------------------
cap=$src/tests/fixtures/captures/usbmon-dlink-ax9u/usbmon.txt
check "import of a usbmon text capture exits 0" \
    [ "$(status_of "$iosim" import "$cap" --trace "$work/imp.db")" = 0 ]
check "... and says what it made" \
    grep -qx "import: $cap: run 1, 14 events, 7 transfers, 3 SCSI commands (0 completions without their submission, 0 submissions unfinished)" "$work/out"
check "... the SCSI commands as scsi_cmd rows, statuses as the simulator's" \
    [ "$(sqlite3 "$work/imp.db" "SELECT group_concat(op || '/' || tag || '/' || dir || '/' || len || '/' || status, ' ') FROM scsi_cmd")" = \
      "read_capacity_10/10/in/8/good mode_select_6/23/out/12/check_condition request_sense/24/in/18/timeout" ]
check "... the transfers as usb_xfer rows of bus 2, device 53" \
    [ "$(sqlite3 "$work/imp.db" "SELECT count(*), min(devnum), max(bus), sum(status = -104) FROM usb_xfer WHERE device = 'bus2'")" = "7|53|2|1" ]
check "... a run of its own, policy capture, time from its first event" \
    [ "$(sqlite3 "$work/imp.db" "SELECT scenario, policy, result, end_time_ps FROM run")" = "usbmon.txt|capture|pass|30539756000000" ]
printf 'a 1 S Bi:1:002:1 -115 4 <\nb 2 C Bi:1:002:1 0 4 = 0102zz\n' > "$work/bad.txt"
check "import of a malformed capture exits 2" \
    [ "$(status_of "$iosim" import "$cap" "$work/bad.txt" --trace "$work/imp2.db")" = 2 ]
check "... naming the file, line and column" \
    grep -qx "$work/bad.txt:2:24: data: want hex digits" "$work/err"
check "... and writing nothing, not even the good capture before it" \
    [ ! -e "$work/imp2.db" ]
# a pcap of link type 189 (usbmon binary, little-endian): a bulk IN URB on bus 2, device 5
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\xbd\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x30\x00\x00\x00\x30\x00\x00\x00\xbc\x0a\x00\x00\x00\x00\x00\x00\x53\x03\x81\x05\x02\x00\x2d\x3c\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x8d\xff\xff\xff\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\xfa\x00\x00\x00\x34\x00\x00\x00\x34\x00\x00\x00\xbc\x0a\x00\x00\x00\x00\x00\x00\x43\x03\x81\x05\x02\x00\x2d\x00\x01\x00\x00\x00\x00\x00\x00\x00\xfa\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04' > "$work/cap.pcap"
check "import of a pcap capture (told from its content) exits 0" \
    [ "$(status_of "$iosim" import "$work/cap.pcap" --trace "$work/imp3.db")" = 0 ]
check "... and says what it made" \
    grep -qx "import: $work/cap.pcap: run 1, 2 events, 1 transfers, 0 SCSI commands (0 completions without their submission, 0 submissions unfinished)" "$work/out"
check "... its transfer a usb_xfer row of bus 2, device 5, with its data" \
    [ "$(sqlite3 "$work/imp3.db" "SELECT device, bus, devnum, ep, dir, actual, status, data FROM usb_xfer")" = "bus2|2|5|1|in|4|0|01 02 03 04" ]
cp "$work/cap.pcap" "$work/back.pcap"   # the completion's clock 1 s behind its submission's
printf '\x00' | dd of="$work/back.pcap" bs=1 seek=88 conv=notrunc status=none
check "import of a capture whose clock steps back exits 0" \
    [ "$(status_of "$iosim" import "$work/back.pcap" --trace "$work/imp6.db")" = 0 ]
check "... its time starts at the earliest event, and the transfer ends when it began" \
    [ "$(sqlite3 "$work/imp6.db" "SELECT submit_ps, t_ps FROM usb_xfer")" = "999750000000|999750000000" ]
cp "$work/cap.pcap" "$work/span.pcap"   # the completion 136 years later
printf '\xff\xff\xff\xff' | dd of="$work/span.pcap" bs=1 seek=88 conv=notrunc status=none
check "import of a capture spanning 136 years exits 2" \
    [ "$(status_of "$iosim" import "$work/span.pcap" --trace "$work/imp7.db")" = 2 ]
check "... saying why" \
    grep -qx "iosim import: $work/span.pcap: its events span more than 106 days, past what a trace's picosecond clock holds" "$work/err"
check "... and writing nothing" [ ! -e "$work/imp7.db" ]
head -c 120 "$work/cap.pcap" > "$work/cut.pcap"
check "import of a cut pcap exits 2" \
    [ "$(status_of "$iosim" import "$work/cut.pcap" --trace "$work/imp5.db")" = 2 ]
check "... naming the file and the byte" \
    grep -qx "$work/cut.pcap: byte 96: pcap record at byte 88: captured length 52 runs past the end of the file (16 bytes left)" "$work/err"
mistake import "give the database to write: --trace FILE.db" "$cap"
mistake import "no capture given" --trace "$work/imp4.db"

# ---- replay-capture -------------------------------------------------------------------
seedcap=$src/tests/libfuzzer/corpus/pcap/le-us-220.pcap
check "replay-capture of a capture with reads and writes exits 0" \
    [ "$(status_of "$iosim" replay-capture "$seedcap" --scenario "$work/rc.yaml")" = 0 ]
check "... and says what it made" \
    grep -qx "replay-capture: $seedcap: bus 1 device 4: 2 requests replayed, 3 other commands left to usbscsid -> $work/rc.yaml" "$work/out"
check "... a scenario that runs and passes" \
    [ "$(status_of "$iosim" run "$work/rc.yaml" --trace "$work/rc.db")" = 0 ]
check "... asking the simulated disk what the host asked: offsets, sizes, in order" \
    [ "$(sqlite3 "$work/rc.db" "SELECT group_concat(op || ' ' || offset || ' ' || len, ', ') FROM fio_io")" = "read 4096 1024, write 4608 512" ]
check "... which usbscsid sends as the capture's commands" \
    [ "$(sqlite3 "$work/rc.db" "SELECT group_concat(op || '/' || lba || '/' || blocks, ' ') FROM scsi_cmd WHERE op IN ('read_10', 'write_10')")" = "read_10/8/2 write_10/9/1" ]
check "... the write waiting the host's think time (55 us) after the read" \
    [ "$(sqlite3 "$work/rc.db" "SELECT (w.submit_ps - r.submit_ps - r.lat_ns * 1000) / 1000000 FROM fio_io r, fio_io w WHERE r.op = 'read' AND w.op = 'write'")" -ge 55 ]
check "replay-capture --speed super --profile usb3-flash: the device as asked" \
    [ "$(status_of "$iosim" replay-capture "$seedcap" --scenario "$work/rc2.yaml" --speed super --profile usb3-flash)" = 0 ]
check "... on a SuperSpeed port with that profile" \
    sh -c "grep -q 'port: 1, speed: super, blocks: 65536, block_size: 512,' '$work/rc2.yaml' && grep -q '^     profile: \"usb3-flash\"}' '$work/rc2.yaml'"
check "replay-capture of a capture without SCSI exits 2" \
    [ "$(status_of "$iosim" replay-capture "$work/cap.pcap" --scenario "$work/rc3.yaml")" = 2 ]
check "... saying so, and writing nothing" \
    sh -c "grep -qx 'iosim replay-capture: $work/cap.pcap: no SCSI command in the capture' '$work/err' && [ ! -e '$work/rc3.yaml' ] && [ ! -e '$work/rc3.yaml.tmp' ]"
check "replay-capture of another device than the capture's exits 2" \
    [ "$(status_of "$iosim" replay-capture "$seedcap" --device 1:5 --scenario "$work/rc3.yaml")" = 2 ]
check "replay-capture of a malformed capture exits 2, naming the place" \
    sh -c "[ \"\$('$iosim' replay-capture '$work/bad.txt' --scenario '$work/rc3.yaml' 2>&1 >/dev/null; echo \$?)\" = '$work/bad.txt:2:24: data: want hex digits
2' ] && [ ! -e '$work/rc3.yaml' ]"
mistake replay-capture "give the scenario to write: --scenario OUT.yaml" "$seedcap"
mistake replay-capture "--speed wants full, high or super" "$seedcap" --scenario "$work/x.yaml" --speed ludicrous
mistake replay-capture "--device wants BUS:DEV (bus 0..65535, device 0..127)" "$seedcap" --scenario "$work/x.yaml" --device 1-4

# ---- calibrate ------------------------------------------------------------------------
jms=$src/tests/fixtures/captures/usbmon-jms566-hdd/usbmon.txt
mkdir -p "$work/cal"
"$iosim" import "$jms" "$cap" --trace "$work/cal/c.db" >/dev/null
check "calibrate of a real HDD capture exits 0" \
    [ "$(status_of "$iosim" calibrate "$work/cal/c.db" --run 1 -o "$work/cal/p.yaml")" = 0 ]
check "... replays it first on a device that takes no time, as run 3" \
    grep -qx "calibrate: run 1: 107 reads, writes and flushes; the simulated host alone: run 3" "$work/out"
check "... and says which round it kept and how close it came" \
    grep -Eq "^calibrate: kept round [1-5]: p50 of [0-9]+ of 21 kinds within 10%; p90 of [01] of 1 kinds of 10 or more requests; [0-9]+ of 107 requests within 10%$" "$work/out"
check "... a table of kinds, real against simulated" grep -Eq "^  read_10 4096 B +59 +171.0us " "$work/out"
check "... and writes a profile file a scenario takes" \
    sh -c "grep -q '^base: usb-hdd$' '$work/cal/p.yaml' && grep -Eq '^cache_segments: [0-9]+$' '$work/cal/p.yaml'"
"$iosim" replay-capture "$jms" --scenario "$work/cal/r.yaml" --speed super --profile p.yaml >/dev/null
check "... which the replayed capture runs on" [ "$(status_of "$iosim" run "$work/cal/r.yaml")" = 0 ]
rm -f "$work/cal/c2.db"; "$iosim" import "$jms" "$cap" --trace "$work/cal/c2.db" >/dev/null
"$iosim" calibrate "$work/cal/c2.db" --run 1 -o "$work/cal/p2.yaml" >/dev/null
check "... and the same capture calibrates to the same profile" \
    cmp -s <(grep -v '^#' "$work/cal/p.yaml") <(grep -v '^#' "$work/cal/p2.yaml")
check "calibrate of a capture without reads or writes exits 2" \
    [ "$(status_of "$iosim" calibrate "$work/cal/c.db" --run 2 -o "$work/cal/p3.yaml")" = 2 ]
check "... saying so, and writing nothing" \
    sh -c "grep -qx 'iosim calibrate: $work/cal/c.db: run 2: no read, write or flush to fit a profile to' '$work/err' && [ ! -e '$work/cal/p3.yaml' ]"
check "calibrate of a run that is not there exits 2" \
    [ "$(status_of "$iosim" calibrate "$work/cal/c.db" --run 99 -o "$work/cal/p3.yaml")" = 2 ]
mistake calibrate "give the capture's run: --run ID" "$work/cal/c.db" -o "$work/cal/p3.yaml"
mistake calibrate "give the profile to write: -o PROFILE.yaml" "$work/cal/c.db" --run 1
mistake calibrate "--base wants a built-in profile, got 'floppy'" "$work/cal/c.db" --run 1 -o x.yaml --base floppy

# ---- replay ---------------------------------------------------------------------------
rid=$(sqlite3 "$work/f.db" "SELECT run_id FROM fuzz_run WHERE result = 'fail' ORDER BY idx LIMIT 1")
check "replay of a fuzz failure's run: the same run, exit 0" \
    [ "$(status_of "$iosim" replay "$work/f.db" --run "$rid")" = 0 ]
check "... says so, with the recorded verdict and hash" grep -Eq '^replay: same \(recorded fail, trace-hash [0-9a-f]{16}\)$' "$work/out"
cp "$fx/pass.yaml" "$work/edited.yaml"
"$iosim" run "$work/edited.yaml" --trace "$work/e.db" >/dev/null
sed -i 's/value: 5/value: 6/' "$work/edited.yaml"
check "replay of a run whose scenario changed since: differs, exit 1" \
    [ "$(status_of "$iosim" replay "$work/e.db" --run 1)" = 1 ]
check "... says so" grep -q '^replay: differs (recorded pass' "$work/out"
check "... and names the first stored row the replay parts from" \
    bash -c "grep -q '^replay: first difference at row [0-9]*, t=[0-9]* ps$' '$work/out' &&
             grep -q '^  recorded: expectation t=[0-9]* idx=0 .*result=\"pass\"' '$work/out' &&
             grep -q '^  replayed: expectation t=[0-9]* idx=0 .*result=\"fail\"' '$work/out'"
check "replay --trace=FILE records the replay elsewhere" \
    bash -c "'$iosim' replay '$work/f.db' --run '$rid' --trace '$work/rp.db' >/dev/null; [ \$? = 0 ] &&
             [ \$(sqlite3 '$work/rp.db' 'SELECT count(*) FROM run') = 1 ]"
check "replay of a run that is not there exits 2" [ "$(status_of "$iosim" replay "$work/f.db" --run 99999)" = 2 ]
mistake replay "give the run to replay: --run ID" "$work/f.db"
mistake replay "--trace: a file other than the one replayed" "$work/f.db" --run 1 --trace "$work/f.db"
mistake replay "no database given" --run 1
check "replay of a fuzz failure makes its recorded decisions" \
    bash -c "'$iosim' replay '$work/f.db' --run '$rid' | grep -Eq '^decisions: [0-9]+ recorded$'"
check "run --decisions: a bad script is a usage error" \
    [ "$(status_of "$iosim" run "$fz" --decisions p3,p2)" = 2 ]

# ---- shrink ---------------------------------------------------------------------------
check "shrink of a fuzz failure exits 0" [ "$(status_of "$iosim" shrink "$work/f.db" --run "$rid")" = 0 ]
check "... keeps one or two of its decisions (the race needs one preemption)" \
    bash -c "grep -Eq '^shrink: [0-9]+ runs; decisions [0-9]+ -> [12], faults 0 -> 0, counts 0 -> 0$' '$work/out'"
check "... still fails the same expectation, and prints its repro with the decisions" \
    bash -c "grep -q 'lost-update.yaml:32:5: memory' '$work/out' &&
             grep -Eq '^repro: iosim run .*lost-update.yaml --seed [0-9]+ --policy [a-z0-9:]+ --decisions [pks0-9=,]+$' '$work/out'"
srepro=$(sed -n 's/^repro: iosim //p' "$work/out")
shash=$(grep '^trace-hash:' "$work/out")
# shellcheck disable=SC2086
check "... which reproduces the shrunk run" \
    bash -c "'$iosim' $srepro | grep -qx '$shash'"
sid=$(sed -n 's/^shrunk: run \([0-9]*\) .*/\1/p' "$work/out")
check "... stored as a run linked to the original's row" \
    [ "$(sqlite3 "$work/f.db" "SELECT count(*) FROM fuzz_run s JOIN fuzz_run o ON s.shrunk_from = o.rowid
                                WHERE s.run_id = $sid AND o.run_id = $rid AND s.decisions IS NOT NULL")" = 1 ]
check "... that replays the same" [ "$(status_of "$iosim" replay "$work/f.db" --run "$sid")" = 0 ]
check "shrinking is deterministic" \
    bash -c "diff <('$iosim' shrink '$work/f.db' --run '$rid' | grep -v '^shrunk:') \
                  <('$iosim' shrink '$work/f.db' --run '$rid' | grep -v '^shrunk:')"
check "shrink --max-runs bounds the candidates tried" \
    bash -c "'$iosim' shrink '$work/f.db' --run '$rid' --max-runs 3 | grep -Eq '^shrink: 3 runs \(the budget'"
"$iosim" run "$fx/pass.yaml" --trace "$work/p.db" >/dev/null
check "shrink of a passing run exits 2, saying so" \
    bash -c "'$iosim' shrink '$work/p.db' --run 1 2>&1 >/dev/null | grep -q 'passes: nothing to shrink'"
lul=$src/scenarios/planted/lost-update-long.yaml
"$iosim" fuzz "$lul" --runs 12 --policy random --trace "$work/l.db" >/dev/null
lid=$(sqlite3 "$work/l.db" "SELECT run_id FROM fuzz_run WHERE result = 'fail' ORDER BY idx LIMIT 1")
check "shrink lowers the counts a scenario marks shrinkable" \
    bash -c "'$iosim' shrink '$work/l.db' --run '$lid' >'$work/lo' &&
             grep -Eq '^shrink: [0-9]+ runs; decisions [0-9]+ -> [0-9]+, faults 0 -> 0, counts 80 -> [0-9]$' '$work/lo'"
lrepro=$(sed -n 's/^repro: iosim //p' "$work/lo")
check "... and its repro sets them (--counts) and reproduces the shrunk run" \
    bash -c "echo '$lrepro' | grep -q -- '--counts inc-a.repeat@20=[0-9]*,inc-b.repeat@31=[0-9]* --decisions ' &&
             '$iosim' $lrepro | grep -qx '$(grep '^trace-hash:' "$work/lo")'"
lsid=$(sed -n 's/^shrunk: run \([0-9]*\) .*/\1/p' "$work/lo")
check "... and replays the same from the file" [ "$(status_of "$iosim" replay "$work/l.db" --run "$lsid")" = 0 ]
check "run --counts: a name the scenario does not mark is bad input" \
    bash -c "'$iosim' run '$lul' --counts inc-a.repeat@99=3 2>&1 >/dev/null |
             grep -q 'inc-a.repeat@99=3.: no shrinkable count has that name'; [ \${PIPESTATUS[0]} = 2 ]"
check "run --counts: below the minimum is bad input" \
    [ "$(status_of "$iosim" run "$lul" --counts inc-a.repeat@20=0)" = 2 ]
"$iosim" run "$src/tests/fixtures/swarm/swarm.yaml" --faults swarm --seed 2 --trace "$work/sw.db" >/dev/null
check "shrink drops the faults a failure does not need" \
    bash -c "'$iosim' shrink '$work/sw.db' --run 1 >'$work/swo' &&
             grep -Eq '^shrink: [0-9]+ runs; decisions 0 -> 0, faults 2 -> 1, counts 0 -> 0$' '$work/swo' &&
             grep -q -- \"--fault-set 'irq_drop:line=5:per_mille=278' --decisions none\" '$work/swo'"
check "... and the shrunk run replays with its smaller set" \
    [ "$(status_of "$iosim" replay "$work/sw.db" --run 2)" = 0 ]
mistake shrink "give the failing run: --run ID" "$work/f.db"
mistake shrink "no database given" --run 1

"$iosim" report "$db" -o "$work/r1.txt"
check "report -oFILE DB: the same report as DB -o FILE" \
    bash -c "'$iosim' report -o'$work/r2.txt' '$db' && cmp -s '$work/r1.txt' '$work/r2.txt'"
cp "$db" "$work/-t.db"
check "report -- -t.db: an operand starting with '-' after --" \
    bash -c "cd '$work' && diff <('$iosim' report -- -t.db | tail -n +2) <(tail -n +2 '$work/r1.txt')"
mistake report "unrecognized option '--out'" "$db" --out x
mistake report "option '-o' requires an argument" "$db" -o
mistake report "unexpected argument 'extra'" "$db" extra
mistake report "no database given" -o "$work/r3.txt"

n1sdp=$pci/lspci-arm-n1sdp/lspci-vvvxxxx.txt
"$iosim" pcid "$n1sdp" --domain 1 >"$work/d1"
check "pcid --domain=1: the same as --domain 1, before or after the dump" \
    bash -c "'$iosim' pcid --domain=1 '$n1sdp' | cmp -s - '$work/d1'"
check "... and another domain than 0" [ "$(tail -n 1 "$work/d1")" = "1 functions, problems 0" ]
cp "$n1sdp" "$work/-dump.txt"
check "pcid -- -dump.txt: an operand starting with '-' after --" \
    bash -c "cd '$work' && '$iosim' pcid -- -dump.txt | tail -n 1 | grep -qx '15 functions, problems 0'"
mistake pcid "unrecognized option '-d'" -d 1 "$n1sdp"
mistake pcid "option '--domain' requires an argument" "$n1sdp" --domain
mistake pcid "--domain wants 0..0xffff, got '0x10000'" "$n1sdp" --domain=0x10000
mistake pcid "no dump given" --domain 0

# ---- --help lists every option, and every option it lists is accepted -----------

# the contract options of each command (README.md, Usage), by name
declare -A contract=([run]="--seed --policy --trace --decisions --counts --faults --fault-set"
                     [suite]="-j --junit --trace --seed --policy"
                     [fuzz]="--runs --time --policy -j --shard --check-determinism --trace --junit --faults"
                     [replay]="--run --trace" [shrink]="--run --max-runs"
                     [report]="-o" [merge]="" [pcid]="--domain" [import]="--trace")
for c in run suite fuzz replay shrink report merge pcid import; do
    "$iosim" $c --help >"$work/help"
    check "iosim $c --help: the first line is its usage" \
        bash -c "head -n 1 '$work/help' | grep -q '^usage: iosim $c '"
    # the option list, one form a line: "  -j N   help" -> "-j N";
    # "  -x, --ex V   help" -> "-x V" and "--ex V"
    listed=$(sed -n '/^options:$/,/^$/p' "$work/help" | sed -n 's/^  \(-[^ ].*\)$/\1/p' |
             sed -E 's/ {2,}.*//; s/^(-[^-]), (--[^ ]+)(.*)$/\1\3\n\2\3/')
    for o in ${contract[$c]} -h --help; do
        # shellcheck disable=SC2016 # expanded by the inner shell
        check "iosim $c --help lists $o" \
            bash -c 'printf "%s\n" "$0" | grep -qxE -- "$1( .*)?"' "$listed" "$o"
    done
    while IFS= read -r line; do
        opt=${line%% *}; value=${line#"$opt"}
        args=("$opt"); [ -n "$value" ] && args+=(x)
        # an operand that does not exist: the command stops before doing anything
        (cd "$work" && "$iosim" $c "$work/does-not-exist" "${args[@]}" >/dev/null 2>"$work/err")
        check "iosim $c accepts the listed option $opt" \
            bash -c "! grep -qE 'unrecognized option|requires an argument|takes no value' '$work/err'"
    done <<<"$listed"
done

echo "cli: $fails failed"
[ "$fails" -eq 0 ]
