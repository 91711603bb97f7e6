# sim/replay/replay.mk - hasim replay: field cluster logs -> a scenario.
#
# Included by sim/sim.mk after sim/hasim.mk: its objects join hasim's
# (HASIM_OBJS, read when hasim links), so hasim.mk needs no line for it.
# Tests: $(BUILD)/tests/test_replay (CUnit, in UNIT_TESTS: the adapter, the
# clock, the inferences on hand-made logs), sim/tests/test_replay.py (the
# command: field logs with their flaws, and the round trip over the
# library).

HSREPLAY_SRCS := $(addprefix sim/replay/, adapter_hanode.c logread.c clock.c infer.c \
	infer_links.c write.c diverge.c command.c)
HSREPLAY_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(HSREPLAY_SRCS))
HSREPLAY_CPPFLAGS := -Isim/replay -Isim/model -Isim/check \
	$(shell pkg-config --cflags jansson 2>/dev/null)

$(HSREPLAY_OBJS) $(BUILD)/sim/tests/test_replay.o: CPPFLAGS += $(HSREPLAY_CPPFLAGS)
$(BUILD)/sim/tests/test_replay.o: CPPFLAGS += -Irefimpl/tests -Irefimpl/core

HASIM_OBJS += $(HSREPLAY_OBJS)
$(BIN)/hasim: $(HSREPLAY_OBJS)
$(BUILD)/sim/hasim.o: CPPFLAGS += -Isim/replay

HSREPLAY_TEST := $(BUILD)/tests/test_replay
$(HSREPLAY_TEST): $(BUILD)/sim/tests/test_replay.o $(filter-out %/command.o,$(HSREPLAY_OBJS)) \
		$(HSCHECK_LIB) $(HSMODEL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(HSCHECK_LIBS) $(HSMODEL_LIBS) \
		$(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)

UNIT_TESTS += $(HSREPLAY_TEST)
