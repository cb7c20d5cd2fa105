#!/usr/bin/env bash
# The HTML report in a real browser: a small fuzz campaign (with a shrunk
# row as `iosim shrink` stores them) and traced storage and xhcid runs in
# one database, `iosim report -o FILE.html`, then headless Chromium loads
# the page and we check what it built: no console message at all (the page
# has no script), the page parsed to its end, every chart's <svg> is in the
# DOM with data marks, nothing is loaded from outside. The checks are shown
# to fail on a page with a planted script error and on one with broken
# markup. A database with hostile strings (markup in the scenario name,
# the repro, the clauses) gives a page where they are text, not elements.
# A capture beside a simulated run: the report's comparison section and
# `iosim compare -o`'s page load cleanly too.
# Usage: report_browser_test.sh IOSIM SOURCE_DIR WORK_DIR
set -u
iosim=${1:?}; src=${2:?}; work=${3:?}
rm -rf "$work" && mkdir -p "$work"
fails=0
check() { # description, then the command that must succeed
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
browser=$(command -v chromium || command -v chromium-browser) || {
    echo "FAIL chromium is not installed (scripts/install-deps.sh installs it)"; exit 1; }

# ---- a database with a bit of everything -----------------------------------------------
db=$work/r.db
"$iosim" fuzz "$src/scenarios/planted/lost-update.yaml" --runs 30 -j 1 --trace "$db" >/dev/null
sqlite3 "$db" "INSERT INTO fuzz_run(campaign, idx, scenario, seed, policy, result, repro, decisions, shrunk_from)
    SELECT campaign, idx, scenario, seed, policy, 'fail', repro || ' --shrunk', 'd1 d2', rowid
    FROM fuzz_run WHERE result = 'fail' ORDER BY idx LIMIT 1"
"$iosim" suite "$src/scenarios/suite/storage/bot-cases-none.yaml" \
    "$src/scenarios/suite/xhcid/enumerate-qemu.yaml" -j 2 --trace "$db" >/dev/null

check "report -o FILE.html writes HTML, exit 0" \
    bash -c "'$iosim' report '$db' -o '$work/r.html' && head -c 15 '$work/r.html' | grep -q '<!DOCTYPE html>'"
check "report --html writes the same page to standard output" \
    bash -c "'$iosim' report '$db' --html | cmp -s - '$work/r.html'"
check "report -o FILE.txt is still the text report" \
    bash -c "'$iosim' report '$db' -o '$work/r.txt' && head -n 1 '$work/r.txt' | grep -q '^iosim trace report: '"
check "the page loads nothing from anywhere and has no script" \
    bash -c "! grep -qiE '<script|<link|<img|<iframe|src=|href=|url\\(' '$work/r.html'"
check "... is the same page when written again (nothing from the clock)" \
    bash -c "'$iosim' report '$db' -o '$work/r2.html' && cmp -s '$work/r.html' '$work/r2.html'"
for id in chart-campaign chart-latency-scsi-cmd-0 chart-latency-usb-xfer-0 chart-throughput \
          chart-timeline chart-matrix; do
    check "the page has the chart $id" grep -q "<svg class=\"chart[a-z ]*\" id=\"$id\"" "$work/r.html"
done
check "the shrunk repro is beside the original" grep -q -- '--shrunk<br>script: d1 d2' "$work/r.html"
check "the conformance matrix names a clause of bot-cases-none" grep -q 'BOT 6.7 case 2' "$work/r.html"
check "no coverage recorded: a note, no empty chart" \
    bash -c "grep -q 'no coverage recorded (run iosim fuzz --policy cover)' '$work/r.html' &&
             ! grep -q 'id=\"chart-coverage\"' '$work/r.html'"

# ---- in the browser -----------------------------------------------------------------------
# load PAGE: DOM in PAGE.dom, Chromium's log (console messages among it) in PAGE.log
load() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
        --dump-dom "file://$1" >"$1.dom" 2>"$1.log"
}
# every <svg class="chart..."> of the DOM has data marks; prints the charts without
marks_missing() {
    awk 'BEGIN { RS = "<svg " } NR > 1 && /^class="chart/ {
             n = split($0, parts, "</svg>"); body = parts[1]
             if (body !~ /data-mark=/) { match(body, /id="[^"]*"/); print substr(body, RSTART, RLENGTH) }
         }' "$1"
}
page_ok() { # the page loaded cleanly and whole: what every page must pass
    local page=$1
    load "$page" || return 1
    ! grep -q ':CONSOLE' "$page.log" || { grep ':CONSOLE' "$page.log" | head -3; return 1; }
    grep -q 'id="report-end"' "$page.dom" || return 1
    [ "$(grep -o '<svg class="chart' "$page.dom" | wc -l)" = "$(grep -o '<svg class="chart' "$page" | wc -l)" ] || return 1
    [ "$(grep -o '<svg class="chart' "$page.dom" | wc -l)" -gt 0 ] || return 1
    [ -z "$(marks_missing "$page.dom")" ]
}
check "Chromium loads the report: no console message, parsed to the end, every chart with data marks" \
    page_ok "$work/r.html"
check "... and it has $(grep -o '<svg class="chart' "$work/r.html" | wc -l) charts with $(grep -o 'data-mark=' "$work/r.html" | wc -l) marks" \
    [ "$(grep -o 'data-mark=' "$work/r.html.dom" | wc -l)" -gt 100 ]
# the checks catch what they are for
sed 's|<footer id="report-end">|<script>undefinedFunction();</script>&|' "$work/r.html" >"$work/planted-js.html"
page_fails() { ! page_ok "$1" >/dev/null; }
check "a planted script error fails the check" page_fails "$work/planted-js.html"
sed '0,/<section id="timeline">/s|<section id="timeline">|<textarea>&|' "$work/r.html" >"$work/planted-markup.html"
check "planted broken markup fails the check" page_fails "$work/planted-markup.html"
sed 's|data-mark="span"|data-x="span"|g; s|data-mark="mark"|data-x="mark"|g' "$work/r.html" >"$work/planted-nomarks.html"
check "a chart without data marks fails the check" page_fails "$work/planted-nomarks.html"

# ---- a hostile database -------------------------------------------------------------------
cp "$db" "$work/h.db"
sqlite3 "$work/h.db" "UPDATE run SET scenario = '<script>alert(1)</script>', command = '\"><img src=x onerror=alert(2)>',
                      message = '</td></tr></table><textarea>', clauses = '<b>bold</b>' || char(10) || 'x & y'
                      WHERE id = (SELECT min(id) FROM run WHERE result = 'fail');
                      UPDATE fuzz_run SET repro = '<svg onload=alert(3)>', campaign = '</section><script>x()</script>'
                      WHERE result = 'fail'"
"$iosim" report "$work/h.db" -o "$work/h.html"
check "hostile strings: no markup of theirs in the page" \
    bash -c "! grep -qiE '<script|<img|<textarea|<b>|<svg onload' '$work/h.html'"
check "... they are there as text" \
    bash -c "grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' '$work/h.html' &&
             grep -qF '&quot;&gt;&lt;img src=x onerror=alert(2)&gt;' '$work/h.html' &&
             grep -qF '&lt;b&gt;bold&lt;/b&gt;' '$work/h.html' && grep -qF 'x &amp; y' '$work/h.html'"
check "... and Chromium builds the page they are in cleanly" page_ok "$work/h.html"
check "... with no element of theirs in the DOM" \
    bash -c "! grep -qiE '<script|<img|<textarea|<b>' '$work/h.html.dom'"

# ---- a database of another kind -------------------------------------------------------------
"$iosim" run "$src/tests/fixtures/cli/pass.yaml" --trace "$work/p.db" >/dev/null
check "a file without fuzz_run (iosim run) still gives a page, sections saying so" \
    bash -c "'$iosim' report '$work/p.db' -o '$work/p.html' &&
             grep -q 'no fuzz_run rows: this file holds no iosim fuzz campaign' '$work/p.html'"
check "... which Chromium loads cleanly" page_ok "$work/p.html"
# a real capture and a simulated run: the report's section 8 and the page of
# iosim compare -o, both in the browser
"$iosim" import "$src/tests/fixtures/captures/usbmon-dlink-ax9u/usbmon.txt" --trace "$work/c.db" >/dev/null
"$iosim" run "$src/scenarios/suite/storage/seqread-ss.yaml" --trace "$work/c.db" >/dev/null
check "a capture and a simulated run: the report compares them (section 8)" \
    bash -c "'$iosim' report '$work/c.db' -o '$work/c.html' && grep -q 'id=\"comparison\"' '$work/c.html'"
check "... which Chromium loads cleanly" page_ok "$work/c.html"
check "iosim compare -o writes its page" \
    bash -c "'$iosim' compare '$work/c.db' --run 1 --run 2 -o '$work/cmp.html' >/dev/null"
check "... which Chromium loads cleanly" page_ok "$work/cmp.html"
echo "not a database" >"$work/junk.db"
check "report of a file that is not a trace: exit 2" \
    bash -c "'$iosim' report '$work/junk.db' -o '$work/j.html' 2>/dev/null; [ \$? = 2 ]"

echo "report_browser: $fails failed"
[ "$fails" -eq 0 ]
