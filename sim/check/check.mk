# sim/check/check.mk - hasim's checker: run folder -> timeline -> verdict ->
# result.json, junit.xml, timeline.html.
#
# Exports for the runner (sim/hasim.mk):
#   HSCHECK_LIB      $(BUILD)/lib/libhscheck.a (link it, then $(HSCHECK_LIBS))
#   HSCHECK_LIBS     the libraries it needs (jansson, libm)
#   HSCHECK_CPPFLAGS include path of check.h (and model.h, which it includes)
# Tests: $(BUILD)/tests/test_check (CUnit, in UNIT_TESTS) against the golden
# run folders in sim/tests/check_fixtures; `make check-test` runs it.
# HALAB_REGENERATE=1 rewrites the expected result.json files (review the diff).

HSCHECK_SOURCES := timeline metrics expect check report report_json report_junit report_html
HSCHECK_OBJS := $(addprefix $(BUILD)/sim/check/,$(addsuffix .o,$(HSCHECK_SOURCES)))
HSCHECK_LIB := $(BUILD)/lib/libhscheck.a
HSCHECK_CPPFLAGS := -Isim/check -Isim/model
HSCHECK_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson) -lm
HSCHECK_TEST := $(BUILD)/tests/test_check

$(HSCHECK_OBJS) $(BUILD)/sim/tests/test_check.o: \
	CPPFLAGS += $(HSCHECK_CPPFLAGS) $(shell pkg-config --cflags jansson 2>/dev/null)

$(HSCHECK_LIB): $(HSCHECK_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(HSCHECK_TEST): $(BUILD)/sim/tests/test_check.o $(HSCHECK_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(HSCHECK_LIBS) \
		$(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

UNIT_TESTS += $(HSCHECK_TEST)

.PHONY: check-test
check-test: $(HSCHECK_TEST)
	$(HSCHECK_TEST)
