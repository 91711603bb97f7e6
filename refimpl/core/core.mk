# refimpl/core/core.mk - the reference node's pure core and its CUnit tests.
#
# Builds $(BUILD)/lib/libhncore.a from refimpl/core/*.c (the layers of
# node.h: emit, store, transition, rules + diagram + admin, fsm; and names,
# compat, proto) and the CUnit binary $(BUILD)/tests/test_core (suites fsm,
# store, compat, fixture) plus the golden-trace runner $(BUILD)/tests/test_golden,
# both appended to UNIT_TESTS. Other parts link $(HNCORE_LIB) plus
# `pkg-config --libs libsodium`.
#
# Targets: $(HNCORE_LIB), $(BUILD)/tests/test_core, core-test (build + run),
# core-coverage (gcov build in build/cov + lcov summary into reports/coverage/core),
# core-diagram (refimpl/core/transitions.txt from the table), golden-update.

HNCORE_LIB := $(BUILD)/lib/libhncore.a

HN_CORE_SOURCES := $(addprefix refimpl/core/, emit.c store.c transition.c rules.c diagram.c \
	admin.c fsm.c compat.c names.c) $(wildcard refimpl/core/proto.c)
HN_CORE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(HN_CORE_SOURCES))

HN_CORE_TEST_SOURCES := $(addprefix refimpl/tests/, test_core_main.c test_fsm.c test_store.c \
	test_compat.c test_rules.c fixture.c fixture_net.c test_fixture.c test_defects.c test_events.c)
HN_CORE_TEST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(HN_CORE_TEST_SOURCES))

HN_CORE_SODIUM_CFLAGS := $(shell pkg-config --cflags libsodium 2>/dev/null)
HN_CORE_SODIUM_LIBS := $(shell pkg-config --libs libsodium 2>/dev/null || echo -lsodium)
HN_CORE_CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

$(HN_CORE_OBJS) $(HN_CORE_TEST_OBJS): CPPFLAGS += -Irefimpl/core $(HN_CORE_SODIUM_CFLAGS)
# test_rules reads the checked-in diagram and the core's sources.
$(BUILD)/refimpl/tests/test_rules.o: CPPFLAGS += -DHN_SOURCE_DIR=\"$(CURDIR)\"

$(HNCORE_LIB): $(HN_CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/test_core: $(HN_CORE_TEST_OBJS) $(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HN_CORE_SODIUM_LIBS) $(HN_CORE_CUNIT_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_core

# Golden traces (refimpl/tests/golden/README): test_golden replays every
# *.trace through the core and diffs; golden-update writes them back.
HN_GOLDEN_SOURCES := $(addprefix refimpl/tests/golden/, golden.c golden_parse.c golden_format.c \
	golden_single.c golden_pair.c)
HN_GOLDEN_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(HN_GOLDEN_SOURCES))
HN_FIXTURE_OBJS := $(BUILD)/refimpl/tests/fixture.o $(BUILD)/refimpl/tests/fixture_net.o
$(HN_GOLDEN_OBJS): CPPFLAGS += -Irefimpl/core -Irefimpl/tests $(HN_CORE_SODIUM_CFLAGS)

$(BUILD)/tests/test_golden: $(HN_GOLDEN_OBJS) $(HN_FIXTURE_OBJS) $(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HN_CORE_SODIUM_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_golden

.PHONY: core-test core-coverage golden-update
core-test: $(BUILD)/tests/test_core $(BUILD)/tests/test_golden
	$(BUILD)/tests/test_core
	$(BUILD)/tests/test_golden

# The diagram of the transition table, after a change of the table.
.PHONY: core-diagram
core-diagram: $(BUILD)/tests/test_core
	$(BUILD)/tests/test_core --diagram > refimpl/core/transitions.txt

# Regenerate the golden traces after an intended change; review with git diff.
golden-update: $(BUILD)/tests/test_golden
	$(BUILD)/tests/test_golden --update

# Line and branch coverage of refimpl/core (not of proto.c's own tests).
core-coverage:
	rm -rf build/cov/refimpl/core build/cov/refimpl/tests
	$(MAKE) BUILD=build/cov EXTRA_CFLAGS=--coverage EXTRA_LDFLAGS=--coverage core-test
	@mkdir -p reports/coverage/core
	lcov --quiet --capture --rc lcov_branch_coverage=1 --directory build/cov/refimpl/core \
	  --output-file reports/coverage/core/core.info
	lcov --quiet --rc lcov_branch_coverage=1 --extract reports/coverage/core/core.info \
	  '*/refimpl/core/*' --output-file reports/coverage/core/core.info
	lcov --rc lcov_branch_coverage=1 --summary reports/coverage/core/core.info
