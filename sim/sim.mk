# sim/sim.mk - the simulator: includes one fragment per part.
-include sim/fabric/fabric.mk
-include sim/model/model.mk
-include sim/check/check.mk
-include sim/backend/libvirt.mk
-include sim/virtual/virtual.mk
-include sim/run/run.mk
-include sim/swarm/swarm.mk
-include sim/matrix/matrix.mk
-include sim/hasim.mk
-include sim/replay/replay.mk

# sim/tests' CUnit binaries run through the shared one-suite runner of
# refimpl/tests/test_main.h (hn_test_run_suite), which includes hn_core.h.
$(BUILD)/sim/tests/test_fabric.o $(BUILD)/sim/tests/test_model.o \
$(BUILD)/sim/tests/test_check.o: CPPFLAGS += -Irefimpl/tests -Irefimpl/core
