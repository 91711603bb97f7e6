# refimpl/daemon/platform.mk - hanode's platform modules (network interfaces,
# the raw ICMP socket, command runner, durable store; the mdstat parser they
# are tested with is in libhnnode.a) and
# their tests. Included by refimpl/daemon/daemon.mk, which links
# $(HN_PLATFORM_OBJS) into hanode.
#   make platform-test      CUnit (build/tests/test_platform) + pytest with
#                           network namespaces (needs root)
# test_platform's tool mode (test_platform_tool.c) also runs a host's health
# round (libhnhost.a) over these real sockets.

HN_PLATFORM_OBJS := $(BUILD)/refimpl/daemon/netif.o $(BUILD)/refimpl/daemon/checks.o \
	$(BUILD)/refimpl/daemon/runner.o $(BUILD)/refimpl/daemon/persist.o
HN_PLATFORM_TEST := $(BUILD)/tests/test_platform
HN_PLATFORM_TEST_OBJS := $(BUILD)/refimpl/tests/test_platform.o \
	$(BUILD)/refimpl/tests/test_platform_tool.o

$(HN_PLATFORM_OBJS) $(HN_PLATFORM_TEST_OBJS): CPPFLAGS += -Irefimpl/core -Irefimpl/daemon \
	-Irefimpl/host

$(HN_PLATFORM_TEST): $(HN_PLATFORM_TEST_OBJS) $(HN_PLATFORM_OBJS) $(BUILD)/refimpl/daemon/mdstat.o \
		$(HNHOST_LIB) $(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(shell pkg-config --libs cunit) \
		$(shell pkg-config --libs libsodium 2>/dev/null || echo -lsodium)

UNIT_TESTS += $(HN_PLATFORM_TEST)

.PHONY: platform-test platform-test-unit platform-test-net
platform-test-unit: $(HN_PLATFORM_TEST)
	$(HN_PLATFORM_TEST)

platform-test-net: $(HN_PLATFORM_TEST)
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q refimpl/tests/test_platform_net.py

platform-test: platform-test-unit platform-test-net
