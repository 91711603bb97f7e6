# refimpl/refimpl.mk - the reference node: includes one fragment per part.
#   core/core.mk      the pure core (libhncore.a) and its CUnit tests
#   host/host.mk      the host around it (libhnhost.a), shared with hasim
#   daemon/daemon.mk  hanode, hactl, libhnnode.a and the daemon's tests
-include refimpl/core/core.mk
-include refimpl/host/host.mk
-include refimpl/daemon/daemon.mk
