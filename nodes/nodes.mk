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
