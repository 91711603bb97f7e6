# refimpl/refimpl.mk - the reference node: includes one fragment per part.
-include refimpl/core/core.mk
-include refimpl/daemon/daemon.mk
