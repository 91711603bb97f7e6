# refimpl/daemon/platform.mk - hanode's platform modules (network interfaces,
# health checks, command runner, durable store) and their tests. Included by
# refimpl/daemon/daemon.mk, which links $(HN_PLATFORM_OBJS) into hanode.
#   make platform-test      CUnit (build/tests/test_platform) + pytest with
#                           network namespaces (needs root)

HN_PLATFORM_OBJS := $(BUILD)/refimpl/daemon/netif.o $(BUILD)/refimpl/daemon/checks.o \
	$(BUILD)/refimpl/daemon/runner.o $(BUILD)/refimpl/daemon/persist.o
HN_PLATFORM_TEST := $(BUILD)/tests/test_platform

$(HN_PLATFORM_OBJS) $(BUILD)/refimpl/tests/test_platform.o: CPPFLAGS += -Irefimpl/core -Irefimpl/daemon

$(HN_PLATFORM_TEST): $(BUILD)/refimpl/tests/test_platform.o $(HN_PLATFORM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(shell pkg-config --libs cunit)

UNIT_TESTS += $(HN_PLATFORM_TEST)

.PHONY: platform-test platform-test-unit platform-test-net
platform-test-unit: $(HN_PLATFORM_TEST)
	$(HN_PLATFORM_TEST)

platform-test-net: $(HN_PLATFORM_TEST)
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q refimpl/tests/test_platform_net.py

platform-test: platform-test-unit platform-test-net
