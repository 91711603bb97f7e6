#!/bin/sh
# ci/bench.sh - `make bench`: measures, prints and writes reports/bench.json.
# Not a test: figures, not verdicts (targets are printed beside them).
set -eu
cd "$(dirname "$0")/.."
exec /usr/bin/python3 ci/bench.py "$@"
