# sim/check/check.mk - hasim's checker: run folder -> timeline -> verdict ->
# result.json, junit.xml, timeline.html.
#
# Exports for the runner (sim/hasim.mk):
#   HSCHECK_LIB      $(BUILD)/lib/libhscheck.a (link it, then $(HSCHECK_LIBS))
#   HSCHECK_LIBS     the libraries it needs (jansson, libm)
#   HSCHECK_CPPFLAGS include path of check.h (and model.h, which it includes)
# Tests: $(BUILD)/tests/test_check (CUnit, in UNIT_TESTS) against the golden
# run folders in sim/tests/check_fixtures, and test_check_expect (the
# record and comparison expectations from YAML text to verdict: it links the
# model too); `make check-test` runs both from the repository's root.
# HALAB_REGENERATE=1 rewrites the expected result.json files (review the diff).

HSCHECK_SOURCES := timeline metrics expect expect_records capability observe check command report report_json report_junit report_html
HSCHECK_OBJS := $(addprefix $(BUILD)/sim/check/,$(addsuffix .o,$(HSCHECK_SOURCES)))
HSCHECK_LIB := $(BUILD)/lib/libhscheck.a
HSCHECK_CPPFLAGS := -Isim/check -Isim/model
HSCHECK_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson) -lm
HSCHECK_TEST := $(BUILD)/tests/test_check

HSCHECK_EXPECT_TEST := $(BUILD)/tests/test_check_expect

$(HSCHECK_OBJS) $(BUILD)/sim/tests/test_check.o $(BUILD)/sim/tests/test_check_expect.o: \
	CPPFLAGS += $(HSCHECK_CPPFLAGS) $(shell pkg-config --cflags jansson 2>/dev/null)
$(BUILD)/sim/tests/test_check_expect.o: CPPFLAGS += -Irefimpl/tests -Irefimpl/core

$(HSCHECK_LIB): $(HSCHECK_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(HSCHECK_TEST): $(BUILD)/sim/tests/test_check.o $(HSCHECK_LIB) $(HSMODEL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(HSCHECK_LIBS) $(HSMODEL_LIBS) \
		$(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

$(HSCHECK_EXPECT_TEST): $(BUILD)/sim/tests/test_check_expect.o $(HSCHECK_LIB) $(HSMODEL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(HSCHECK_LIBS) $(HSMODEL_LIBS) \
		$(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

UNIT_TESTS += $(HSCHECK_TEST) $(HSCHECK_EXPECT_TEST)

.PHONY: check-test
check-test: $(HSCHECK_TEST) $(HSCHECK_EXPECT_TEST)
	$(HSCHECK_TEST)
	$(HSCHECK_EXPECT_TEST)
