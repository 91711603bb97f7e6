# sim/virtual/virtual.mk - the virtual backend's models: frames, the event
# loop between the runner's instants, a node's network stack, the uplink,
# the disk.
#
# Targets: $(HSVIRTUAL_LIB) (linked by hasim with the virtual backend),
# $(BIN)/test_virtual_net (in UNIT_TESTS: CUnit, no root).
# Users compile with -Isim/virtual; the models need nothing but libc, the
# fabric (vnet.c) and the core's header (vdisk.c).

HSVIRTUAL_LIB := $(BUILD)/lib/libhsvirtual.a
HSVIRTUAL_OBJS := $(addprefix $(BUILD)/sim/virtual/, vframe.o vsched.o vnet.o vkernel.o vgateway.o \
	vdisk.o)

$(BUILD)/sim/virtual/vdisk.o: CPPFLAGS += -Irefimpl/core

$(HSVIRTUAL_LIB): $(HSVIRTUAL_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/sim/tests/test_virtual_net.o: CPPFLAGS += -Isim/virtual -Isim/fabric -Irefimpl/tests \
	-Irefimpl/core

$(BIN)/test_virtual_net: $(BUILD)/sim/tests/test_virtual_net.o $(HSVIRTUAL_LIB) $(HSFABRIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSFABRIC_LDLIBS) $(HSFABRIC_CUNIT_LIBS)

UNIT_TESTS += $(BIN)/test_virtual_net
