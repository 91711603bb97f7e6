#!/bin/bash
# ci/under-load.sh - run a test command ROUNDS times in a row under a CPU hog
# on every core (issue 15: a CI runner is always loaded, so a scenario's
# bounds must hold with both cores busy). `make test-load` runs halab's
# native library this way; the CI templates' nightly `load` job runs a
# user's own scenarios (ci/run-scenarios.sh) this way.
#
#   ci/under-load.sh [--rounds N] -- COMMAND [ARG...]
#
# N defaults to $LOAD_ROUNDS or 1. In COMMAND's arguments, %ROUND% becomes
# the round's number (for a JUnit file or a reports folder per round).
#
# The hog is stress-ng (Debian's package, ci/deps.sh): one CPU worker per
# core (`--cpu 0`), at the same priority as the tests, for as long as the
# rounds last. It is started here and ended here by its PID, also when a
# round fails or the script is interrupted. Each round's output goes to
# reports/load-ROUND.log; one line per round and a summary are printed. The
# script fails if any round failed (COMMAND's exit status not 0).
set -euo pipefail
# Runs in the current folder: COMMAND's relative paths are the caller's.
rounds=${LOAD_ROUNDS:-1}
usage="usage: ci/under-load.sh [--rounds N] -- COMMAND [ARG...]"
while [ $# -gt 0 ]; do
	case $1 in
	--rounds)
		[ $# -ge 2 ] || { echo "under-load: --rounds needs a number; $usage" >&2; exit 2; }
		rounds=$2
		shift 2
		;;
	--)
		shift
		break
		;;
	-h | --help)
		echo "$usage"
		exit 0
		;;
	*)
		echo "under-load: unknown argument '$1'; $usage" >&2
		exit 2
		;;
	esac
done
case $rounds in '' | *[!0-9]* | 0)
	echo "under-load: --rounds must be a positive number, not '$rounds'" >&2
	exit 2
	;;
esac
[ $# -gt 0 ] || { echo "under-load: no command; $usage" >&2; exit 2; }
command -v stress-ng >/dev/null 2>&1 || {
	echo "under-load: stress-ng is not installed (make deps installs it)" >&2
	exit 2
}
mkdir -p reports
hog=""
stop_hog() {
	if [ -n "$hog" ]; then
		kill "$hog" 2>/dev/null || true
		wait "$hog" 2>/dev/null || true
		hog=""
	fi
}
trap stop_hog EXIT
trap 'stop_hog; exit 130' INT
trap 'stop_hog; exit 143' TERM
stress-ng --cpu 0 --cpu-method matrixprod --timeout 12h --quiet &
hog=$!
sleep 1
kill -0 "$hog" 2>/dev/null || {
	echo "under-load: stress-ng did not start" >&2
	exit 2
}
echo "under-load: stress-ng (PID $hog) busy on $(nproc) cores; $rounds round(s) of: $*"
failed=0
for ((round = 1; round <= rounds; round++)); do
	args=()
	for arg in "$@"; do
		args+=("${arg//%ROUND%/$round}")
	done
	log="reports/load-$round.log"
	start=$(date +%s)
	if "${args[@]}" >"$log" 2>&1; then
		verdict=passed
	else
		verdict=FAILED
		failed=$((failed + 1))
	fi
	echo "under-load: round $round: $verdict in $(($(date +%s) - start)) s," \
		"load $(cut -d' ' -f1 /proc/loadavg): $(tail -1 "$log")"
	[ "$verdict" = passed ] || grep -E "^(FAILED|ERROR|FAIL) " "$log" || true
done
stop_hog
echo "under-load: $((rounds - failed)) of $rounds round(s) passed under the hog"
[ "$failed" -eq 0 ]
