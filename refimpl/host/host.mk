# refimpl/host/host.mk - the node's host: the pure layer between the core and
# a platform (refimpl/host/host.h), shared by hanode and hasim's virtual
# backend, and its CUnit test.
#
# Builds $(HNHOST_LIB) = $(BUILD)/lib/libhnhost.a from refimpl/host/*.c (host,
# requests, health, packets, text, keys). It needs the core and libsodium only:
#   $(CC) ... $(HNHOST_LIB) $(HNCORE_LIB) $$(pkg-config --libs libsodium)
# with -Irefimpl/host -Irefimpl/core. hanode's pure files on top of it
# (config text, status JSON, store line parsing) are in $(HNNODE_LIB)
# (refimpl/daemon/daemon.mk).
#
# Targets: $(HNHOST_LIB), $(BUILD)/tests/test_host and test_host_failures (in
# UNIT_TESTS), host-test.

HNHOST_LIB := $(BUILD)/lib/libhnhost.a
HN_HOST_SOURCES := $(addprefix refimpl/host/, host.c requests.c health.c packets.c text.c \
	keys.c)
HN_HOST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(HN_HOST_SOURCES))
HN_HOST_FAKE_OBJ := $(BUILD)/refimpl/tests/host_fake.o
HN_HOST_TEST_OBJS := $(BUILD)/refimpl/tests/test_host.o $(BUILD)/refimpl/tests/test_host_failures.o \
	$(HN_HOST_FAKE_OBJ)
HN_HOST_TEST_LIBS = $(shell pkg-config --libs libsodium 2>/dev/null || echo -lsodium) \
	$(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

$(HN_HOST_OBJS) $(HN_HOST_TEST_OBJS): CPPFLAGS += -Irefimpl/host -Irefimpl/core \
	$(shell pkg-config --cflags libsodium 2>/dev/null)

$(HNHOST_LIB): $(HN_HOST_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# Two binaries over one fake platform (host_fake.c): the host's behaviour,
# and its failures (failed actions, shutdown, boot nonce, notify-only
# checks, key bounds, the countdown fault injection).
$(BUILD)/tests/test_host: $(BUILD)/refimpl/tests/test_host.o $(HN_HOST_FAKE_OBJ) $(HNHOST_LIB) \
		$(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HN_HOST_TEST_LIBS)

$(BUILD)/tests/test_host_failures: $(BUILD)/refimpl/tests/test_host_failures.o \
		$(HN_HOST_FAKE_OBJ) $(HNHOST_LIB) $(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HN_HOST_TEST_LIBS)

UNIT_TESTS += $(BUILD)/tests/test_host $(BUILD)/tests/test_host_failures

.PHONY: host-test
host-test: $(BUILD)/tests/test_host $(BUILD)/tests/test_host_failures
	$(BUILD)/tests/test_host
	$(BUILD)/tests/test_host_failures
