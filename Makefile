# halab - top-level build. Each part brings its own fragment:
#   refimpl/refimpl.mk  hanode, hactl, the core and its CUnit tests
#   sim/sim.mk          hasim, the fabric, model, backends, checker and their tests
#   sim/guest/guest.mk  the QEMU guest (kernel + initramfs)
#   nodes/nodes.mk      the tools node adapters use (hsrecord, hskv)
# Targets: deps (Debian packages, idempotent), all (default), test, coverage, bench, guest.
# Variants build into their own folder: BUILD=build (default), build/asan, build/cov.

BUILD ?= build
CC ?= cc
PKGS := libsodium yaml-0.1 cunit slirp libvirt
WARN := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
# Bounded buffers truncate by design (snprintf); the check is noise at -O2.
WARN += -Wno-format-truncation
OPT ?= -O2 -g
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
CFLAGS := $(WARN) $(OPT) $(EXTRA_CFLAGS)
LDFLAGS := $(EXTRA_LDFLAGS)
PYTEST := /usr/bin/python3 -m pytest
BIN := $(BUILD)/bin

ALL_BINS :=
UNIT_TESTS :=

.PHONY: all deps test test-load test-vm-adapters test-unit test-asan test-py test-vm library-vm coverage bench guest clean format-check
all:

include refimpl/refimpl.mk
include sim/sim.mk
include nodes/nodes.mk
include ci/version.mk
-include sim/guest/guest.mk
-include fuzz/fuzz.mk

all: $(ALL_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

deps:
	@ci/deps.sh

test-unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

test-asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" test-unit

# Everything but the VM tests (make test-vm), with JUnit XML for CI: the
# tests that may share the host run PYTEST_JOBS at a time (pytest-xdist; a
# native scenario mostly waits on its timers, so 3 on 2 cores), then those
# marked serial (they observe host-wide state) alone. Both parts always run.
PYTEST_JOBS ?= 3
PYTEST_SUITES := refimpl/tests sim/tests scenarios ci
test-py: all
	@mkdir -p reports
	status=0; \
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q -n $(PYTEST_JOBS) -m "not vm and not serial" \
		$(PYTEST_SUITES) --backend native --junitxml=reports/pytest-junit.xml || status=1; \
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q -m "serial and not vm" $(PYTEST_SUITES) \
		--backend native --junitxml=reports/pytest-serial-junit.xml || status=1; \
	exit $$status

# The QEMU guest's own tests, a VM matrix (`hasim matrix --backend libvirt`
# over virt1-pair and rack1-virt1: sim/tests/test_vm_backend.py, 51-59 s
# at load 2-3, 162-205 s at load 13-14) and
# a representative set of scenarios on guests (TCG). The whole library on
# guests is `make library-vm` (long).
VM_SCENARIOS := active-power-loss or active-raid-loss or bond-port-pulled or split-brain-none \
	or maintenance-both
# One libvirtd for the session (ci/libvirtd.sh), stopped again whatever the tests did.
# keepalived on guests (sim/tests/test_adapters.py) is not part of it: it
# passed 3 of 4 runs at load 3-6 and never formed at load 12-18 (keepalived's
# own timers are not stretched by the guests' time scale, nodes/README.md);
# `make test-vm-adapters` runs it.
VM_NOT_IN_TEST := keepalived_on_guests
test-vm: all
	$(MAKE) daemon-static
	$(MAKE) guest
	@mkdir -p reports
	ci/libvirtd.sh start
	status=0; \
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q -m vm sim/tests -k "not $(VM_NOT_IN_TEST)" \
		--junitxml=reports/pytest-vm-junit.xml || status=1; \
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q scenarios --backend libvirt -k "$(VM_SCENARIOS)" \
		--junitxml=reports/pytest-vm-scenarios-junit.xml || status=1; \
	ci/libvirtd.sh stop; exit $$status

test-vm-adapters: all
	$(MAKE) daemon-static
	$(MAKE) guest guest-keepalived
	ci/libvirtd.sh start
	status=0; \
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q -m vm sim/tests -k "$(VM_NOT_IN_TEST)" || status=1; \
	ci/libvirtd.sh stop; exit $$status

library-vm: all
	$(MAKE) daemon-static
	$(MAKE) guest
	ci/libvirtd.sh start
	status=0; \
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q scenarios --backend libvirt \
		--junitxml=reports/pytest-library-vm-junit.xml || status=1; \
	ci/libvirtd.sh stop; exit $$status

# The native library under a CPU hog on every core, LOAD_ROUNDS times in a row
# (ci/under-load.sh; default 5, about 10 min each): long, so not part of make
# test; the CI templates run it as a nightly job.
LOAD_ROUNDS ?= 5
# Scenarios marked xfail (scenarios/conftest.py KNOWN_NODE_BUGS) are judged
# like any other there (--runxfail): under the hog nothing is excused.
test-load: all
	HALAB_BIN=$(abspath $(BIN)) ci/under-load.sh --rounds $(LOAD_ROUNDS) -- \
		$(PYTEST) -q -p no:cacheprovider --runxfail scenarios --backend native \
		--junitxml=reports/load-%ROUND%-junit.xml

test: deps
	$(MAKE) format-check
	$(MAKE) all
	$(MAKE) test-unit
	$(MAKE) test-asan
	$(MAKE) test-virtual-asan
	$(MAKE) swarm-smoke
	$(MAKE) matrix-smoke
	$(MAKE) -j2 fuzz
	$(MAKE) test-py
	$(MAKE) test-vm

coverage: deps
	@ci/coverage.sh

bench: deps all
	@ci/bench.sh

# The house format (.clang-format); part of `make test`.
format-check:
	@files=$$(git ls-files '*.c' '*.h' 2>/dev/null || find refimpl sim -name '*.[ch]'); \
	bad=$$(for f in $$files; do clang-format --dry-run --Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "format-check: not formatted (run clang-format -i):"; \
		echo "$$bad"; exit 1; fi; echo "format-check: $$(echo $$files | wc -w) files formatted"

clean:
	rm -rf build reports/coverage reports/bench.json
