#!/usr/bin/env bash
# Installs the Debian packages iosim needs that are not installed yet.
# Idempotent: when everything is present it does nothing and touches no network.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh bench    also the libraries the benchmarks compare against,
#                                    and GNU time (scripts/bench.sh reads their peak memory)
set -euo pipefail

# chromium: the HTML report's browser test (tests/scripts/report_browser_test.sh);
# libclang-rt-dev: clang's sanitizer and libFuzzer runtimes (make sanitize, tests/libfuzzer);
# tshark: what Wireshark makes of `iosim export --format pcap` (tests/scripts/export_test.sh)
pkgs=(cmake make gcc clang libclang-rt-dev pkg-config libsqlite3-dev libyaml-dev libcriterion-dev
      sqlite3 chromium tshark)
if [ "${1:-}" = bench ]; then
    pkgs+=(g++ libns3-dev liburing-dev libjemalloc-dev time)
fi

missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
