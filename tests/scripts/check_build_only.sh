#!/usr/bin/env bash
# The rule of docs/architecture.md "The same hash in every build": nothing that
# exists only in some builds may touch the simulated machine. Checked on the
# code (comments and string contents blanked) of impl/, sim/ and models/:
#   - assertions are ASSERT() from impl/port/check.h: no assert(), no <assert.h>
#     (the simulator brackets ASSERT so that touching the machine inside one
#     aborts; assert() would escape the bracket);
#   - no conditional compilation on the build type (NDEBUG, DEBUG, _DEBUG,
#     __OPTIMIZE__) outside the two check headers that implement ASSERT;
#   - sanitizer conditionals only in the files listed in $sanitizer_ok, whose
#     job they are and which touch no simulated state;
#   - no call inside an ASSERT(...) condition that reaches the machine: port_*
#     (but port_peek_* and port_bar_len), seeded draws, events, trace rows,
#     device I/O, process yields. (The bracket catches the calls this cannot
#     see, made further down; this names the obvious ones at review time.)
# Usage: check_build_only.sh ROOT   (exit 1 and one "file:line: why" per violation)
set -u
root=${1:?usage: check_build_only.sh ROOT}
cd "$root" || exit 2

mechanism='^(impl/port/check\.h|sim/engine/check\.h)$'
sanitizer_ok='^(sim/engine/coro\.c)$'

files=$(find impl sim models -name '*.[chS]' 2>/dev/null | sort)
[ -n "$files" ] || { echo "build-only: no sources under $root"; exit 2; }

# shellcheck disable=SC2086
awk -v sanitizer_files="sim/engine/coro.c" -v sq="'" -v mechanism="$mechanism" -v sanitizer_ok="$sanitizer_ok" '
function report(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg; bad = 1 }
function report_at(ln, msg) { printf "%s:%d: %s\n", FILENAME, ln, msg; bad = 1 }

# The line with comments and the contents of string and character literals
# blanked; `state` carries a block comment across lines.
function code_of(s,    out, i, n, c, d) {
    out = ""; n = length(s); i = 1
    while (i <= n) {
        c = substr(s, i, 1); d = substr(s, i, 2)
        if (state == "comment") {
            if (d == "*/") { state = ""; out = out "  "; i += 2 } else { out = out " "; i++ }
        } else if (state == "str" || state == "chr") {
            if (c == "\\") { out = out "  "; i += 2; continue }
            if ((state == "str" && c == "\"") || (state == "chr" && c == sq)) { out = out c; state = "" }
            else out = out " "
            i++
        } else if (d == "/*") { state = "comment"; out = out "  "; i += 2 }
        else if (d == "//") { break }
        else if (c == "\"") { state = "str"; out = out c; i++ }
        else if (c == sq) { state = "chr"; out = out c; i++ }
        else { out = out c; i++ }
    }
    if (state == "str" || state == "chr") state = ""   # unterminated: a line continuation
    return out
}

# Calls inside an assertion condition that reach the simulated machine.
function forbidden_calls(cond,    rest, name, found) {
    found = ""; rest = cond
    while (match(rest, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
        name = substr(rest, RSTART, RLENGTH); sub(/[ \t]*\($/, "", name)
        rest = substr(rest, RSTART + RLENGTH)
        if ((name ~ /^port_/ && name !~ /^port_(peek_u32|peek_u64|bar_len)$/) ||
            name ~ /^sim_rng_/ ||
            name ~ /^sim_engine_(at|after|cancel|step)$/ ||
            name ~ /^sim_dev_(after|cancel|irq_raise|dma_read|dma_write|dma_disabled|mmio_add|mmio_move|mmio_remove)$/ ||
            name ~ /^sim_io_/ ||
            name ~ /^sim_proc_(cost|stall|block|yield_cpu|wake|exit|kernel_enter|kernel_leave)$/ ||
            name ~ /^sim_cpu_store$/ ||
            (name ~ /^sim_trace_/ && name !~ /^sim_trace_hash/))
            found = found (found == "" ? "" : ", ") name "()"
    }
    return found
}

FNR == 1 { state = ""; depth = 0 }
{
    raw = $0
    code = code_of(raw)
    is_mech = FILENAME ~ mechanism

    if (raw ~ /^[ \t]*#[ \t]*include[ \t]*<assert\.h>/)
        report("<assert.h>: assertions are ASSERT() from impl/port/check.h")
    if (!is_mech && code ~ /(^|[^A-Za-z0-9_])assert[ \t]*\(/)
        report("assert(): use ASSERT() (impl/port/check.h), which keeps assertions off the simulated machine")
    if (!is_mech && code ~ /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif)/ &&
        code ~ /(^|[^A-Za-z0-9_])(NDEBUG|DEBUG|_DEBUG|__OPTIMIZE__)([^A-Za-z0-9_]|$)/)
        report("code that exists only in some builds: write it as a checker called from ASSERT()")
    if (FILENAME !~ sanitizer_ok &&
        code ~ /(__SANITIZE_[A-Z]+__|__has_feature|IOSIM_ASAN|__sanitizer_)/)
        report("sanitizer-only code belongs in the files whose job it is (" sanitizer_files ")")

    # ASSERT( ... ) conditions, possibly over several lines
    rest = code
    while (1) {
        if (depth == 0) {
            if (!match(rest, /(^|[^A-Za-z0-9_])ASSERT[ \t]*\(/)) break
            if (is_mech) break
            rest = substr(rest, RSTART + RLENGTH)
            depth = 1; cond = ""; start = FNR
        }
        n = length(rest); closed = 0
        for (i = 1; i <= n; i++) {
            c = substr(rest, i, 1)
            if (c == "(") depth++
            else if (c == ")" && --depth == 0) { closed = 1; break }
        }
        if (!closed) { cond = cond rest " "; break }
        cond = cond substr(rest, 1, i - 1)
        rest = substr(rest, i + 1)
        f = forbidden_calls(cond)
        if (f != "")
            report_at(start, "ASSERT() condition calls " f ": an assertion must not touch the simulated machine (read shared words with port_peek_u32/u64)")
    }
}
END {
    if (!bad) print "build-only: no build-dependent code touches the simulated machine"
    exit bad
}' $files
