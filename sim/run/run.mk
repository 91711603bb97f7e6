# sim/run/run.mk - the runner's objects, for the programs that run
# scenarios in-process besides hasim (the CUnit tests of the loop, swarm's
# test): everything of the runner but the command line and the backends'
# own files. Included by sim/sim.mk before the fragments that use it.
# Link with -ljansson and libvirt (gc.o collects dead runs' domains).

HASIM_RUN_OBJS := $(addprefix $(BUILD)/sim/run/, run.o plan.o steps.o nodelog.o client.o \
	hardware.o ops.o guard.o provenance.o clock.o adapter_plan.o) $(BUILD)/sim/backend/gc.o \
	$(BUILD)/sim/backend/libvirt_conn.o
