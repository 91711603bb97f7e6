#!/bin/sh
# ci/bench-refimpl.sh - failover time and idle cost of the reference node.
# Builds hanode/hactl, then runs refimpl/bench/failover_bench.py (two real
# nodes in network namespaces; needs root). Writes reports/bench-refimpl.json.
# Exit status: 0 when the targets hold (median <= 1.5 s at default timers,
# idle RSS <= 8 MiB), 1 otherwise.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
make BUILD="$BUILD" "$BUILD/bin/hanode" "$BUILD/bin/hactl"
HALAB_BIN="$(pwd)/$BUILD/bin" exec /usr/bin/python3 refimpl/bench/failover_bench.py "$@"
