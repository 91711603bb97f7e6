# sim/model/model.mk - topology and scenario files -> validated structs.
#
# Targets: $(BUILD)/lib/libhsmodel.a (exported as HSMODEL_LIB, with
# HSMODEL_CFLAGS/HSMODEL_LIBS for whoever links it: -Isim/model and
# libyaml), $(BUILD)/tests/test_model (in UNIT_TESTS), model-test (builds
# and runs it from the top of the tree: it reads topologies/, scenarios/
# and sim/tests/model_fixtures/).

HSMODEL_SRCS := $(addprefix sim/model/, yaml_walk.c topology.c node.c scenario.c step.c \
	expect.c lint.c names.c)
HSMODEL_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(HSMODEL_SRCS))
HSMODEL_LIB := $(BUILD)/lib/libhsmodel.a
HSMODEL_CFLAGS := -Isim/model $(shell pkg-config --cflags yaml-0.1 2>/dev/null)
HSMODEL_LIBS := $(shell pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)
HSMODEL_CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

$(HSMODEL_OBJS) $(BUILD)/sim/tests/test_model.o: CPPFLAGS += $(HSMODEL_CFLAGS)

$(HSMODEL_LIB): $(HSMODEL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/test_model: $(BUILD)/sim/tests/test_model.o $(HSMODEL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSMODEL_LIBS) $(HSMODEL_CUNIT_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_model

.PHONY: model-test
model-test: $(BUILD)/tests/test_model
	$(BUILD)/tests/test_model
