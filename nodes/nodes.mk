# nodes/nodes.mk - the small tools node adapters use (nodes/README.md):
# hsrecord (a notify script's normalized cluster-log record) and hskv (a
# store on the cluster IP for nodes without one). Both in ALL_BINS; hskv
# parses lines with hanode's own parser (libhnnode.a).

$(BIN)/hsrecord: $(BUILD)/nodes/tools/hsrecord.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)

$(BUILD)/nodes/tools/hskv.o: CPPFLAGS += -Irefimpl/daemon -Irefimpl/core

$(BIN)/hskv: $(BUILD)/nodes/tools/hskv.o $(HNNODE_LIB) $(HNCORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HN_SODIUM_LIBS)

ALL_BINS += $(BIN)/hsrecord $(BIN)/hskv

# keepalived's layer for the halab guest (nodes/README.md, "On guests"):
# keepalived, hsrecord and hskv with their shared libraries over the busybox
# initramfs of `make guest`. Not part of `make all` (it needs the guest).
.PHONY: guest-keepalived
guest-keepalived: $(BUILD)/guest/nodes/keepalived/initramfs.cpio.gz

$(BUILD)/guest/nodes/keepalived/initramfs.cpio.gz: nodes/tools/build-guest-layer.sh \
		$(BUILD)/guest/initramfs.cpio.gz $(BIN)/hsrecord $(BIN)/hskv
	sh nodes/tools/build-guest-layer.sh $(dir $@) $(BUILD)/guest/initramfs.cpio.gz \
		keepalived $(BIN)/hsrecord $(BIN)/hskv
