#!/bin/sh
# ci/run-scenarios.sh - run scenario files with hasim the way a CI job does:
# from any repository, on halab's own library or on yours.
#
#   halab/ci/run-scenarios.sh [--backend native|libvirt] [--seed N] [--accel tcg|kvm|auto]
#                             [--node NAME[:PROFILE]] [--topology-dir DIR] [--reports DIR] FILE...
#
# It lints every FILE first (hasim lint: a file that does not load stops
# everything, exit 2), then runs each one with `hasim run FILE --out
# REPORTS/<name>` and goes on after a failure, so one job reports every
# scenario. Each run folder holds junit.xml (one testsuite per scenario: what
# CI systems publish, REPORTS/*/junit.xml), result.json, timeline.html and
# the nodes' logs. --node runs another node implementation (nodes/README.md);
# a scenario that needs what it lacks is skipped (hasim's exit 4: SKIP, never
# a pass nor a failure). Exit status: 0 every scenario that ran passed and at
# least one ran; 4 every scenario was skipped; else the highest of hasim's (1
# a scenario failed, 2 bad input, 3 a run could not be carried out).
# halab is found beside this script (its build/bin/hasim; $HALAB_BIN
# and $HALAB_BUILD override), so the script works from your repository with
# halab checked out in a subfolder; a bare `topology: NAME` in your files
# is looked up in --topology-dir (default ./topologies).
set -eu

halab=$(cd "$(dirname "$0")/.." && pwd)
export HALAB_BIN="${HALAB_BIN:-$halab/build/bin}"
export HALAB_BUILD="${HALAB_BUILD:-$halab/build}"
hasim="$HALAB_BIN/hasim"
backend=native seed=1 accel="" node="" topology_dir=topologies reports=reports/halab

usage() {
	echo "usage: $0 [--backend native|libvirt] [--seed N] [--accel tcg|kvm|auto]" \
		"[--node NAME[:PROFILE]] [--topology-dir DIR] [--reports DIR] FILE..." >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--backend | --seed | --accel | --node | --topology-dir | --reports)
		[ $# -ge 2 ] || usage
		case "$1" in
		--backend) backend=$2 ;;
		--seed) seed=$2 ;;
		--accel) accel=$2 ;;
		--node) node=$2 ;;
		--topology-dir) topology_dir=$2 ;;
		--reports) reports=$2 ;;
		esac
		shift 2
		;;
	-h | --help)
		sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	--)
		shift
		break
		;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
if [ ! -x "$hasim" ]; then
	echo "run-scenarios: no $hasim: build halab first (make -C $halab deps all)" >&2
	exit 3
fi

# Lint errors (a single point of failure) are reported and the runs go on;
# a file that does not load stops everything.
lint=0
"$hasim" lint --topology-dir "$topology_dir" "$@" || lint=$?
[ "$lint" -le 1 ] || exit 2
mkdir -p "$reports"
# One `hasim run FILE --out OUT`, with the options given; its exit status.
run_one() {
	file=$1 out=$2
	set -- "$file" --backend "$backend" --seed "$seed" --topology-dir "$topology_dir" \
		--out "$out" --quiet
	[ -z "$accel" ] || set -- "$@" --accel "$accel"
	[ -z "$node" ] || set -- "$@" --node "$node"
	"$hasim" run "$@"
}

worst=0 passed=0 failed=0 skipped=0
for file in "$@"; do
	name=$(basename "$file" .yaml)
	out="$reports/$name"
	rm -rf "$out"
	status=0
	run_one "$file" "$out" || status=$?
	case "$status" in
	0)
		passed=$((passed + 1))
		echo "PASS $name"
		;;
	4) skipped=$((skipped + 1)) ;; # hasim printed "SKIP name ...: the reason"
	*)
		failed=$((failed + 1))
		[ "$status" -le "$worst" ] || worst=$status
		;;
	esac
done
summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo "run-scenarios: $summary ($backend backend, seed $seed; run folders in $reports/)"
[ "$worst" -ne 0 ] || [ "$passed" -gt 0 ] || worst=4
exit "$worst"
