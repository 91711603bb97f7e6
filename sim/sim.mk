# sim/sim.mk - the simulator: includes one fragment per part.
-include sim/fabric/fabric.mk
-include sim/model/model.mk
-include sim/check/check.mk
-include sim/backend/libvirt.mk
-include sim/hasim.mk
