#!/bin/sh
# ci/coverage.sh - `make coverage`: gcov/lcov over the whole test suite.
#
# Builds everything with --coverage into build/cov, runs the CUnit tests and
# the pytest suites of the binaries against the instrumented binaries, then
# writes reports/coverage/coverage.info (lcov tracefile, with branches) and
# its HTML beside it. The pure core (refimpl/core) must reach 90 % of lines
# and 80 % of branches: below that, this script fails.
set -eu
cd "$(dirname "$0")/.."
out=reports/coverage
rm -rf build/cov "$out"
mkdir -p "$out"
make BUILD=build/cov OPT="-O0 -g" EXTRA_CFLAGS=--coverage EXTRA_LDFLAGS=--coverage all test-unit
HALAB_BIN="$(pwd)/build/cov/bin" /usr/bin/python3 -m pytest -q refimpl/tests sim/tests \
	-m "not vm" -p no:cacheprovider || echo "coverage: some pytest tests failed (coverage still measured)"
rc="--rc lcov_branch_coverage=1"
lcov $rc --quiet --capture --directory build/cov --output-file "$out/all.info"
lcov $rc --quiet --extract "$out/all.info" "$(pwd)/refimpl/*" "$(pwd)/sim/*" \
	--output-file "$out/coverage.info"
lcov $rc --quiet --remove "$out/coverage.info" "$(pwd)/*/tests/*" --output-file "$out/coverage.info"
lcov $rc --quiet --extract "$out/coverage.info" "$(pwd)/refimpl/core/*" --output-file "$out/core.info"
rm -f "$out/all.info"
genhtml $rc --quiet --output-directory "$out" "$out/coverage.info"
echo "== coverage of everything (refimpl + sim, tests excluded)"
lcov $rc --summary "$out/coverage.info" 2>&1 | grep -E 'lines|branches|functions'
echo "== coverage of the pure core (refimpl/core)"
lcov $rc --summary "$out/core.info" 2>&1 | grep -E 'lines|branches|functions' | tee "$out/core-summary.txt"
lines=$(sed -n 's/.*lines\.*: \([0-9.]*\)%.*/\1/p' "$out/core-summary.txt")
branches=$(sed -n 's/.*branches\.*: \([0-9.]*\)%.*/\1/p' "$out/core-summary.txt")
echo "core: lines $lines % (bar 90), branches $branches % (bar 80); tracefile $out/coverage.info"
awk -v l="$lines" -v b="$branches" 'BEGIN { exit !(l >= 90 && b >= 80) }' || {
	echo "coverage: the core is below the bar" >&2
	exit 1
}
