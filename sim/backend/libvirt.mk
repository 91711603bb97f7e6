# sim/backend/libvirt.mk - the libvirt layer of hasim's libvirt backend:
# connection (+ daemons), domain XML and device actions, the console relay
# (`hasim console`), the guest clock mapping (guest_clock.c), the ports of QEMU's
# ends of the tunnels (tunnel_port.c), their CUnit test on
# libvirt's test:///default driver, and hs-libvirt, a CLI over them that the
# guest tests (sim/tests/test_guest.py) drive.
#
# Targets:
#   $(BIN)/hs-libvirt            the CLI (in ALL_BINS)
#   $(BIN)/test_libvirt          CUnit (in UNIT_TESTS); HS_REGENERATE=1 rewrites
#                                the golden XML sim/tests/golden/domain.xml
#   libvirt-test                 runs it
#   HS_LIBVIRT_OBJS              for the backend (sim/backend/libvirt.c) to link

# Included from sim/guest/guest.mk (guest-test needs hs-libvirt) and may be
# from sim/sim.mk too: the guard keeps the rules single.
ifndef HS_LIBVIRT_MK
HS_LIBVIRT_MK := 1

HS_LIBVIRT_CFLAGS := $(shell pkg-config --cflags libvirt 2>/dev/null)
HS_LIBVIRT_LIBS := $(shell pkg-config --libs libvirt 2>/dev/null || echo -lvirt)
HS_LIBVIRT_OBJS := $(BUILD)/sim/backend/libvirt_conn.o $(BUILD)/sim/backend/libvirt_domain.o \
	$(BUILD)/sim/backend/libvirt_console.o $(BUILD)/sim/backend/guest_clock.o \
	$(BUILD)/sim/backend/tunnel_port.o

$(HS_LIBVIRT_OBJS) $(BUILD)/sim/backend/libvirt_tool.o $(BUILD)/sim/tests/test_libvirt.o: \
	CPPFLAGS += -Isim/backend $(HS_LIBVIRT_CFLAGS)

$(BIN)/hs-libvirt: $(BUILD)/sim/backend/libvirt_tool.o $(HS_LIBVIRT_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HS_LIBVIRT_LIBS)

$(BIN)/test_libvirt: $(BUILD)/sim/tests/test_libvirt.o $(HS_LIBVIRT_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HS_LIBVIRT_LIBS) $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

ALL_BINS += $(BIN)/hs-libvirt
UNIT_TESTS += $(BIN)/test_libvirt

.PHONY: libvirt-test
libvirt-test: $(BIN)/test_libvirt
	$(BIN)/test_libvirt

endif
