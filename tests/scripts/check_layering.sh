#!/usr/bin/env bash
# The module rules of DESIGN.md, checked on every #include:
#   impl/**           -> only impl/** and freestanding/libc headers; never sim/,
#                        models/, reports/, SQLite or libyaml. Only impl/port/native
#                        may use OS headers (pthread, mman, unistd, fcntl, ...).
#   models/**         -> never impl/** (hardware knows no driver), but for the
#                        spec facts of impl/port/spec/ (constants, no code) and
#                        the assertion macro of impl/port/check.h.
#   reports/**        -> never sim/ engine headers, models/ or impl/ beyond port/err.h.
# Usage: check_layering.sh ROOT   (exit 1 and a list of violations when any)
set -u
root=${1:?usage: check_layering.sh ROOT}
cd "$root" || exit 2
bad=0
report() { echo "layering: $1"; bad=1; }

incs() { # file -> lines "file:line:header"
    grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$1" 2>/dev/null |
        sed -E 's/^([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1:\2/' |
        sed "s|^|$1:|"
}

# headers any impl/ file may use: freestanding C and the libc basics
impl_ok='^(stdint|stddef|stdbool|stdalign|stdarg|stdatomic|stdnoreturn|limits|string|assert|errno|inttypes)\.h$'
# extra OS headers the native port may use
native_ok='^(pthread|sched|time|unistd|fcntl|stdlib|stdio|sys/mman|sys/types|sys/stat|sys/syscall|linux/futex)\.h$'

while IFS= read -r f; do
    while IFS= read -r line; do
        h=${line##*:}
        case "$h" in
            impl/*) ;;
            sim/*|models/*|reports/*) report "$line: impl/ may not include $h" ;;
            sqlite3.h|yaml.h) report "$line: impl/ may not include $h" ;;
            *)
                if [[ "$f" == impl/port/spec/* ]]; then
                    [[ "$h" =~ ^(stdint|stdbool)\.h$ ]] || report "$line: spec headers are freestanding constants, not $h"
                elif [[ "$f" == impl/port/native/* ]]; then
                    [[ "$h" =~ $impl_ok || "$h" =~ $native_ok ]] || report "$line: native port includes unexpected $h"
                else
                    [[ "$h" =~ $impl_ok ]] || report "$line: impl/ reaches the world only through impl/port, not $h"
                fi ;;
        esac
    done < <(incs "$f")
done < <(find impl -name '*.[ch]' 2>/dev/null | sort)

while IFS= read -r f; do
    while IFS= read -r line; do
        h=${line##*:}
        case "$h" in
            impl/port/spec/*|impl/port/check.h) ;;
            impl/*) report "$line: models/ may not include $h" ;;
        esac
    done < <(incs "$f")
done < <(find models -name '*.[ch]' 2>/dev/null | sort)

while IFS= read -r f; do
    while IFS= read -r line; do
        h=${line##*:}
        case "$h" in
            impl/port/err.h) ;;
            impl/*|models/*|sim/*) report "$line: reports/ reads the trace schema only, not $h" ;;
        esac
    done < <(incs "$f")
done < <(find reports -name '*.[ch]' 2>/dev/null | sort)

[ $bad -eq 0 ] && echo "layering: all rules hold"
exit $bad
