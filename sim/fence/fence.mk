# sim/fence/fence.mk - the fence device's client: $(BIN)/hsfence (in ALL_BINS),
# the nodes' fence_command on the native backend (libc only, so it starts
# fast on a loaded machine), and $(HSFENCE_CLIENT_OBJ), which hasim links for
# `hasim fence`. Tested by sim/tests/test_fence_client.py.

include ci/version.mk

HSFENCE_CLIENT_OBJ := $(BUILD)/sim/fence/fence_client.o

$(BUILD)/sim/fence/hsfence.o: $(HALAB_VERSION_STAMP)
$(BUILD)/sim/fence/hsfence.o: CPPFLAGS += -DHALAB_VERSION='"$(HALAB_VERSION)"'

$(BIN)/hsfence: $(BUILD)/sim/fence/hsfence.o $(HSFENCE_CLIENT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

ALL_BINS += $(BIN)/hsfence
