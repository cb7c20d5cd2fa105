#!/usr/bin/env bash
# The module rules of DESIGN.md, checked on every #include:
#   impl/**           -> only impl/** and freestanding/libc headers; never sim/,
#                        models/, reports/, SQLite or libyaml. Only impl/port/native
#                        may use OS headers (pthread, mman, unistd, fcntl, ...).
#   models/**         -> never impl/** (hardware knows no driver), but for the
#                        spec facts of impl/port/spec/ (constants, no code) and
#                        the assertion macro of impl/port/check.h; of sim/ only
#                        the device API (sim/machine/dev.h) and the trace
#                        (sim/trace/trace.h), and in a family's description
#                        (<family>_family*.c) the family API
#                        (sim/scenario/family.h) and the input-file readers
#                        (sim/scenario/*_file.h).
#   sim/ rooms        -> one way: engine <- trace <- machine <- scenario <- run <- cli.
#                        sim/engine/ knows no machine, no file format and no SQLite;
#                        sim/trace/ no machine; nothing below sim/run/ includes a
#                        model family.
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
            sim/machine/dev.h|sim/trace/trace.h) ;;
            sim/scenario/family.h|sim/scenario/*_file.h)
                [[ "$f" =~ _family[a-z_]*\.[ch]$ || "$f" == models/families.c ]] ||
                    report "$line: only a family's description (models/<family>/<family>_family*.c) and the list of families (models/families.c) include $h" ;;
            sim/*) report "$line: models/ see the machine through sim/machine/dev.h only, not $h" ;;
        esac
    done < <(incs "$f")
done < <(find models -name '*.[ch]' 2>/dev/null | sort)

# The rooms of sim/, each with the rooms it may include (its own included).
room_may() { # room -> extended regex of the sim/ and models/ paths it may include
    case "$1" in
        engine)   echo '^sim/engine/' ;;
        capture)  echo '^sim/(engine|capture)/' ;;
        trace)    echo '^sim/(engine|trace)/' ;;
        machine)  echo '^sim/(engine|trace|machine)/' ;;
        scenario) echo '^sim/(engine|trace|machine|scenario)/' ;;
        run)      echo '^(sim/(engine|trace|machine|scenario|run)/|models/)' ;;
        cli)      echo '^(sim/|models/)' ;;
        *)        echo '^$' ;;
    esac
}
while IFS= read -r f; do
    room=${f#sim/}; room=${room%%/*}
    may=$(room_may "$room")
    while IFS= read -r line; do
        h=${line##*:}
        case "$h" in
            sim/*|models/*)
                [[ "$h" =~ $may ]] || report "$line: sim/$room/ may not include $h (rooms depend one way: engine <- trace <- machine <- scenario <- run <- cli)" ;;
            sqlite3.h)
                [[ "$room" =~ ^(trace|cli)$ ]] || report "$line: only sim/trace/ speaks SQLite, not sim/$room/" ;;
            yaml.h)
                [ "$room" = scenario ] || report "$line: only sim/scenario/ reads YAML, not sim/$room/" ;;
        esac
    done < <(incs "$f")
done < <(find sim -mindepth 2 -name '*.[ch]' 2>/dev/null | sort)
find sim -maxdepth 1 -name '*.[chS]' 2>/dev/null | sort | while IFS= read -r f; do
    echo "layering: $f: every file of sim/ belongs to a room (sim/<room>/)"
done | grep . && bad=1

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
