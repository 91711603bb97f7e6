# sim/swarm/swarm.mk - `hasim swarm`: random fault schedules on the virtual
# backend, properties, shrinking (sim/swarm/README.md).
#
# Exports for hasim (sim/hasim.mk links it before the checker):
#   HSSWARM_LIB   $(BUILD)/lib/libhsswarm.a
# Targets: $(BIN)/test_swarm (CUnit, in UNIT_TESTS: generator, YAML writer,
# properties on hand-made run folders, shrinker on a planted failure),
# swarm-test (pytest of the command: sim/tests/test_swarm.py and the node
# findings, test_findings.py), swarm-smoke (400 schedules per tie-breaker,
# part of make test), swarm-long (the documented 10-minute run).

HSSWARM_SOURCES := generate yaml faults property exec shrink swarm
HSSWARM_OBJS := $(addprefix $(BUILD)/sim/swarm/,$(addsuffix .o,$(HSSWARM_SOURCES)))
HSSWARM_LIB := $(BUILD)/lib/libhsswarm.a
HSSWARM_CPPFLAGS := -Isim -Isim/swarm -Isim/model -Isim/check -Isim/fabric \
	$(shell pkg-config --cflags jansson 2>/dev/null)

$(HSSWARM_OBJS) $(BUILD)/sim/tests/test_swarm.o: CPPFLAGS += $(HSSWARM_CPPFLAGS)
$(BUILD)/sim/tests/test_swarm.o: CPPFLAGS += -Irefimpl/tests -Irefimpl/core

$(HSSWARM_LIB): $(HSSWARM_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# The test runs schedules in-process: the runner, the virtual backend and
# everything hasim links but its command line (hasim.o) and the other
# backends.
HSSWARM_TEST_OBJS := $(BUILD)/sim/tests/test_swarm.o $(HASIM_RUN_OBJS) \
	$(BUILD)/sim/backend/virtual.o $(BUILD)/sim/backend/virtual_node.o

$(BIN)/test_swarm: $(HSSWARM_TEST_OBJS) $(HSSWARM_LIB) $(HSCHECK_LIB) $(HSMODEL_LIB) \
		$(HSFABRIC_LIB) $(HSVIRTUAL_LIB) $(HNNODE_LIB) $(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSCHECK_LIBS) $(HSMODEL_LIBS) $(HSFABRIC_LDLIBS) \
		$(HN_SODIUM_LIBS) $(HS_LIBVIRT_LIBS) $(HSFABRIC_CUNIT_LIBS)

UNIT_TESTS += $(BIN)/test_swarm

.PHONY: swarm-test swarm-smoke swarm-long
swarm-test: $(BIN)/hasim
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q sim/tests/test_swarm.py sim/tests/test_findings.py

# CI-sized: 400 schedules per tie-breaker on two jobs, seed 1 (the same
# schedules every time), about 15 s each; the output stays in
# reports/swarm-smoke-<tie-breaker>. It checks that swarm runs end to end
# (exit 0: nothing violated, 1: violations, each printed with its
# reproducers); SWARM_STRICT=1 also fails on a violation. The node's known
# findings are gated by sim/tests/test_findings.py.
SWARM_SMOKE_SEED ?= 1
SWARM_SMOKE_COUNT ?= 400
SWARM_STRICT ?= 0
swarm-smoke: $(BIN)/hasim
	@status=0; for tiebreaker in none ping fence; do \
		out=reports/swarm-smoke-$$tiebreaker; rm -rf $$out; \
		$(BIN)/hasim swarm --tiebreaker $$tiebreaker --count $(SWARM_SMOKE_COUNT) --jobs 2 \
			--seed $(SWARM_SMOKE_SEED) --shrink-runs 100 --out $$out; code=$$?; \
		if [ $$code -gt 1 ] || [ ! -s $$out/summary.json ]; then status=1; fi; \
		if [ $$code -eq 1 ] && [ "$(SWARM_STRICT)" = 1 ]; then status=1; fi; \
	done; exit $$status

swarm-long: $(BIN)/hasim
	rm -rf reports/swarm-long
	$(BIN)/hasim swarm --minutes 10 --jobs 2 --out reports/swarm-long
