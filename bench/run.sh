#!/usr/bin/env bash
# proxyd vs HAProxy 2.6 vs no proxy, on loopback: see the Performance section of README.md.
#
#   bench/run.sh                  # full run (about 8 minutes), writes bench/results.md
#   BENCH_SECONDS=3 BENCH_ROUNDS=1 bench/run.sh   # quick look
#
# Installs what it needs from Debian's packages (nginx, wrk, haproxy, openssl, python3, tcpdump) when
# missing, builds proxyd in release mode, then hands over to bench/bench.py.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v tcpdump >/dev/null || [ -x /usr/bin/tcpdump ] || [ -x /usr/sbin/tcpdump ] || missing+=(tcpdump)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "bench: missing ${missing[*]}; install them (apt-get install -y ${missing[*]})" >&2
        exit 1
    fi
    echo "bench: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

(cd "$root" && cargo build --release -q -p proxyd)
target="${CARGO_TARGET_DIR:-$root/target}"
export PROXYD_BIN="${PROXYD_BIN:-$target/release/proxyd}"

exec /usr/bin/python3 "$here/bench.py" "$@"
