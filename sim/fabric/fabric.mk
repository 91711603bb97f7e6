# sim/fabric/fabric.mk - hasim's userspace network fabric.
#
# Targets: $(HSFABRIC_LIB) (the library hasim links), $(BIN)/hsfabric (in
# ALL_BINS: a fabric from the command line, for tests and debugging),
# $(BIN)/test_fabric (in UNIT_TESTS: CUnit, no root needed), fabric-test
# (CUnit, then the pytest of sim/tests/test_fabric_net.py, needs root).
#
# Users: compile with -Isim/fabric (only fabric.h is public, it needs no
# libslirp header) and link $(HSFABRIC_LIB) $(HSFABRIC_LDLIBS).
#
# Debian's slirp.pc requires glib-2.0, whose -dev package is not installed,
# so pkg-config may fail: fall back to the known paths then.

HSFABRIC_SLIRP_CFLAGS := $(shell pkg-config --cflags slirp 2>/dev/null || echo -I/usr/include/slirp)
HSFABRIC_CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)
HSFABRIC_LIB := $(BUILD)/lib/libhsfabric.a
HSFABRIC_LDLIBS := -lslirp

HSFABRIC_OBJS := $(addprefix $(BUILD)/sim/fabric/, \
	fabric.o faults.o switch.o impair.o endpoint.o uplink.o faultlog.o observe.o loop.o)

$(BUILD)/sim/fabric/%.o: CPPFLAGS += $(HSFABRIC_SLIRP_CFLAGS)
$(BUILD)/sim/tests/test_fabric.o: CPPFLAGS += -Isim/fabric $(HSFABRIC_SLIRP_CFLAGS)

$(HSFABRIC_LIB): $(HSFABRIC_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/hsfabric: $(BUILD)/sim/fabric/hsfabric.o $(HSFABRIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSFABRIC_LDLIBS)

$(BIN)/test_fabric: $(BUILD)/sim/tests/test_fabric.o $(HSFABRIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSFABRIC_LDLIBS) $(HSFABRIC_CUNIT_LIBS)

ALL_BINS += $(BIN)/hsfabric
UNIT_TESTS += $(BIN)/test_fabric

.PHONY: fabric-test
fabric-test: $(BIN)/test_fabric $(BIN)/hsfabric
	$(BIN)/test_fabric
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q sim/tests/test_fabric_net.py

# The in-memory endpoints of the virtual backend (CUnit, no root).
$(BUILD)/sim/tests/test_virtual_fabric.o: CPPFLAGS += -Isim/fabric -Irefimpl/tests -Irefimpl/core

$(BIN)/test_virtual_fabric: $(BUILD)/sim/tests/test_virtual_fabric.o $(HSFABRIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSFABRIC_LDLIBS) $(HSFABRIC_CUNIT_LIBS)

UNIT_TESTS += $(BIN)/test_virtual_fabric
