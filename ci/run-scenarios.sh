#!/bin/sh
# ci/run-scenarios.sh - run scenario files with hasim the way a CI job does:
# from any repository, on halab's own library or on yours.
#
#   halab/ci/run-scenarios.sh [--backend native|libvirt] [--seed N] [--accel tcg|kvm|auto]
#                             [--topology-dir DIR] [--reports DIR] FILE...
#
# It lints every FILE first (hasim lint: a file that does not load stops
# everything, exit 2), then runs each one with `hasim run FILE --out
# REPORTS/<name>` and goes on after a failure, so one job reports every
# scenario. Each run folder holds junit.xml (one testsuite per scenario: what
# CI systems publish, REPORTS/*/junit.xml), result.json, timeline.html and
# the nodes' logs. Exit status: 0 every scenario passed, else the highest of
# hasim's (1 a scenario failed, 2 bad input, 3 a run could not be carried
# out); a scenario hasim did not run (exit 4: a step the backend cannot do,
# e.g. disk_fail on libvirt) is counted as skipped, neither passed nor failed. halab is found beside this script (its build/bin/hasim; $HALAB_BIN
# and $HALAB_BUILD override), so the script works from your repository with
# halab checked out in a subfolder; a bare `topology: NAME` in your files
# is looked up in --topology-dir (default ./topologies).
set -eu

halab=$(cd "$(dirname "$0")/.." && pwd)
export HALAB_BIN="${HALAB_BIN:-$halab/build/bin}"
export HALAB_BUILD="${HALAB_BUILD:-$halab/build}"
hasim="$HALAB_BIN/hasim"
backend=native seed=1 accel="" topology_dir=topologies reports=reports/halab

usage() {
	echo "usage: $0 [--backend native|libvirt] [--seed N] [--accel tcg|kvm|auto]" \
		"[--topology-dir DIR] [--reports DIR] FILE..." >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--backend | --seed | --accel | --topology-dir | --reports)
		[ $# -ge 2 ] || usage
		case "$1" in
		--backend) backend=$2 ;;
		--seed) seed=$2 ;;
		--accel) accel=$2 ;;
		--topology-dir) topology_dir=$2 ;;
		--reports) reports=$2 ;;
		esac
		shift 2
		;;
	-h | --help)
		sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
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
worst=0 passed=0 failed=0 skipped=0
for file in "$@"; do
	name=$(basename "$file" .yaml)
	out="$reports/$name"
	rm -rf "$out"
	status=0
	if [ -n "$accel" ]; then
		"$hasim" run "$file" --backend "$backend" --seed "$seed" --accel "$accel" \
			--topology-dir "$topology_dir" --out "$out" --quiet || status=$?
	else
		"$hasim" run "$file" --backend "$backend" --seed "$seed" \
			--topology-dir "$topology_dir" --out "$out" --quiet || status=$?
	fi
	if [ "$status" -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS $name"
	elif [ "$status" -eq 4 ]; then
		# not run (a step the backend cannot do: hasim printed SKIP and why)
		skipped=$((skipped + 1))
		continue
	else
		failed=$((failed + 1))
	fi
	[ "$status" -le "$worst" ] || worst=$status
done
skips=""
[ "$skipped" -eq 0 ] || skips=", $skipped skipped (not run: hasim's SKIP lines say why)"
echo "run-scenarios: $passed passed, $failed failed$skips ($backend backend, seed $seed; run" \
	"folders in $reports/)"
exit "$worst"
