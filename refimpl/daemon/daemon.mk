# refimpl/daemon/daemon.mk - hanode (the daemon), hactl (the CLI), libhnnode.a,
# the wire codec's CUnit test and the pytest suite of the real binaries.
#
# Targets: $(BIN)/hanode $(BIN)/hactl (in ALL_BINS), $(HNNODE_LIB),
# $(BUILD)/tests/test_proto and $(BUILD)/tests/test_node (in UNIT_TESTS), proto-test, daemon-test (pytest
# of refimpl/tests, needs root for network namespaces), $(BUILD)/static/hanode
# and $(BUILD)/static/hactl (fully static, for the busybox guest),
# daemon-static.
#
# $(HNNODE_LIB) = $(BUILD)/lib/libhnnode.a is what hanode shares with hasim's
# virtual backend: the host (refimpl/host, the same objects as libhnhost.a),
# hanode.conf parsing from text and its host configuration (config.c), the
# status JSON and admin answers (status.c), the store's line parsing
# (kvline.c), the control request line (request.c), the mdstat parser
# (mdstat.c) and the cluster-log writer (clusterlog.c: a file and, when
# asked, the local syslog). No socket, no clock. Link it with
#   $(HNNODE_LIB) $(HNCORE_LIB) $$(pkg-config --libs libsodium)
# and compile with -Irefimpl/daemon -Irefimpl/host -Irefimpl/core.
#
# The platform modules (netif, checks, runner, persist) come from
# refimpl/daemon/platform.mk as HN_PLATFORM_OBJS; the core from core.mk as
# HNCORE_LIB; the host from host.mk.

-include refimpl/daemon/platform.mk

HN_SODIUM_CFLAGS := $(shell pkg-config --cflags libsodium 2>/dev/null)
HN_SODIUM_LIBS := $(shell pkg-config --libs libsodium 2>/dev/null || echo -lsodium)
HN_CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

HNNODE_LIB := $(BUILD)/lib/libhnnode.a
HN_NODE_OBJS := $(HN_HOST_OBJS) $(addprefix $(BUILD)/refimpl/daemon/, config.o status.o kvline.o \
	request.o mdstat.o clusterlog.o)
HN_DAEMON_OBJS := $(addprefix $(BUILD)/refimpl/daemon/, \
	hanode.o actions.o inputs.o admin.o join.o \
	loop.o config_file.o links.o control.o kvserver.o pairing.o syslogfwd.o timecheck.o)
# proto.o is linked as an object so the binaries do not depend on whether
# core.mk puts it into the archive too (an archive member is only pulled in
# for symbols still undefined, so there is no duplicate).
HN_PROTO_OBJ := $(BUILD)/refimpl/core/proto.o
HN_CLI_OBJS := $(BUILD)/refimpl/cli/hactl.o $(BUILD)/refimpl/daemon/pairing.o $(HNCORE_LIB)

$(BUILD)/refimpl/daemon/%.o $(BUILD)/refimpl/cli/%.o $(BUILD)/refimpl/core/proto.o \
$(BUILD)/refimpl/tests/test_proto.o: CPPFLAGS += -Irefimpl/core -Irefimpl/daemon -Irefimpl/host \
	$(HN_SODIUM_CFLAGS)

$(HNNODE_LIB): $(HN_NODE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/hanode: $(HN_DAEMON_OBJS) $(HN_PROTO_OBJ) $(HN_PLATFORM_OBJS) $(HNNODE_LIB) $(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HN_SODIUM_LIBS)

$(BIN)/hactl: $(HN_CLI_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HN_SODIUM_LIBS)

# libhnnode.a's own test: it links nothing of the daemon's I/O.
$(BUILD)/refimpl/tests/test_node.o: CPPFLAGS += -Irefimpl/core -Irefimpl/daemon -Irefimpl/host \
	$(HN_SODIUM_CFLAGS)
$(BUILD)/tests/test_node: $(BUILD)/refimpl/tests/test_node.o $(HNNODE_LIB) $(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HN_SODIUM_LIBS) $(HN_CUNIT_LIBS)

$(BUILD)/tests/test_proto: $(BUILD)/refimpl/tests/test_proto.o $(HN_PROTO_OBJ) $(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HN_SODIUM_LIBS) $(HN_CUNIT_LIBS)

$(BUILD)/static/hanode: $(HN_DAEMON_OBJS) $(HN_PROTO_OBJ) $(HN_PLATFORM_OBJS) $(HNNODE_LIB) \
	$(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) -static $(LDFLAGS) -o $@ $^ -lsodium

$(BUILD)/static/hactl: $(HN_CLI_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -static $(LDFLAGS) -o $@ $^ -lsodium

ALL_BINS += $(BIN)/hanode $(BIN)/hactl $(HNNODE_LIB) $(HNHOST_LIB)
UNIT_TESTS += $(BUILD)/tests/test_proto $(BUILD)/tests/test_node

.PHONY: proto-test daemon-test daemon-static
proto-test: $(BUILD)/tests/test_proto
	$(BUILD)/tests/test_proto

daemon-static: $(BUILD)/static/hanode $(BUILD)/static/hactl

daemon-test: $(BIN)/hanode $(BIN)/hactl
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q refimpl/tests
