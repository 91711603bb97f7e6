# sim/model/model.mk - topology and scenario files -> validated structs.
#
# Targets: $(BUILD)/lib/libhsmodel.a (exported as HSMODEL_LIB, with
# HSMODEL_CFLAGS/HSMODEL_LIBS for whoever links it: -Isim/model and
# libyaml; -Irefimpl/core for the model table hn_models.h),
# $(BUILD)/tests/test_model and test_model_limits (in
# UNIT_TESTS), model-test (builds and runs them from the top of the tree:
# they read topologies/, scenarios/ and sim/tests/model_fixtures/).

HSMODEL_SRCS := $(addprefix sim/model/, yaml_read.c yaml_walk.c topology.c node.c scenario.c step.c \
	adapter.c needs.c template.c decimal.c \
	expect.c lint.c names.c search.c requires.c)
HSMODEL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(HSMODEL_SRCS))
HSMODEL_LIB := $(BUILD)/lib/libhsmodel.a
HSMODEL_CFLAGS := -Isim/model -Irefimpl/core $(shell pkg-config --cflags yaml-0.1 2>/dev/null)
HSMODEL_LIBS := $(shell pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)
HSMODEL_CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

$(HSMODEL_OBJS) $(BUILD)/sim/tests/test_model.o $(BUILD)/sim/tests/test_model_limits.o: \
	CPPFLAGS += $(HSMODEL_CFLAGS)
# The one-suite CUnit runner (as sim/sim.mk sets for test_model.o).
$(BUILD)/sim/tests/test_model_limits.o: CPPFLAGS += -Irefimpl/tests -Irefimpl/core

$(HSMODEL_LIB): $(HSMODEL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/test_model: $(BUILD)/sim/tests/test_model.o $(HSMODEL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSMODEL_LIBS) $(HSMODEL_CUNIT_LIBS)

$(BUILD)/tests/test_model_limits: $(BUILD)/sim/tests/test_model_limits.o $(HSMODEL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSMODEL_LIBS) $(HSMODEL_CUNIT_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_model $(BUILD)/tests/test_model_limits

.PHONY: model-test
model-test: $(BUILD)/tests/test_model $(BUILD)/tests/test_model_limits
	$(BUILD)/tests/test_model
	$(BUILD)/tests/test_model_limits

