# sim/hasim.mk - the hasim binary: command line, runner, backends.
#
# hasim links the model (YAML), the fabric (switches, libslirp), the checker
# (jansson) and the backends; the virtual backend also the node's code that
# needs no socket (libhnnode.a: hanode's host, config parser, status
# renderer, store line parser, mdstat parser, cluster-log writer; the core),
# and its models (libhsvirtual.a). Targets: $(BIN)/hasim (in ALL_BINS), hasim-test
# (pytest of the runner's own behaviour: sim/tests/test_hasim.py).

HASIM_SRCS := sim/hasim.c sim/run/run.c sim/run/plan.c sim/run/steps.c sim/run/nodelog.c \
	sim/run/client.c sim/run/hardware.c sim/run/ops.c sim/run/guard.c sim/run/provenance.c \
	sim/run/clock.c sim/run/parity.c sim/run/adapter_plan.c \
	sim/backend/native.c sim/backend/gc.c sim/backend/vm.c sim/backend/vm_agent.c \
	sim/backend/vm_worker.c sim/backend/vm_adapter.c sim/backend/virtual.c \
	sim/backend/virtual_node.c
HASIM_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(HASIM_SRCS))
HASIM_LIBS := $(HSFENCE_CLIENT_OBJ) $(HSMATRIX_LIB) $(HSSWARM_LIB) $(HSCHECK_LIB) $(HSMODEL_LIB) $(HSFABRIC_LIB) $(HS_LIBVIRT_OBJS) \
	$(HSVIRTUAL_LIB) $(HNNODE_LIB) $(HNCORE_LIB)

$(HASIM_OBJS): CPPFLAGS += -Isim -Isim/fence -Isim/matrix -Isim/model -Isim/check -Isim/fabric $(HS_LIBVIRT_CFLAGS) \
	$(shell pkg-config --cflags jansson libsodium 2>/dev/null)
$(BUILD)/sim/backend/virtual.o $(BUILD)/sim/backend/virtual_node.o: CPPFLAGS += \
	-Irefimpl/daemon -Irefimpl/host -Irefimpl/core
# The model table (refimpl/core/hn_models.h, header only).
$(BUILD)/sim/backend/native.o $(BUILD)/sim/backend/vm.o: CPPFLAGS += -Irefimpl/core

$(BIN)/hasim: $(HASIM_OBJS) $(HASIM_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(HASIM_OBJS) $(HASIM_LIBS) $(HSCHECK_LIBS) $(HSMODEL_LIBS) \
		$(HSFABRIC_LDLIBS) $(HS_LIBVIRT_LIBS) $(HN_SODIUM_LIBS)

ALL_BINS += $(BIN)/hasim

.PHONY: hasim-test
hasim-test: all
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q sim/tests/test_hasim.py

# The runner's virtual clock with a scripted backend (CUnit, no root; run
# from the repository's root, as make test-unit does).
$(BUILD)/sim/tests/test_virtual_loop.o: CPPFLAGS += -Isim -Isim/model -Isim/fabric \
	-Irefimpl/tests -Irefimpl/core $(shell pkg-config --cflags jansson 2>/dev/null)

$(BIN)/test_virtual_loop: $(BUILD)/sim/tests/test_virtual_loop.o $(HASIM_RUN_OBJS) $(HSMODEL_LIB) \
		$(HSFABRIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSMODEL_LIBS) $(HSFABRIC_LDLIBS) $(HN_SODIUM_LIBS) -ljansson \
		$(HS_LIBVIRT_LIBS) $(HSFABRIC_CUNIT_LIBS)

UNIT_TESTS += $(BIN)/test_virtual_loop

# The runner's real-time loop with a scripted backend whose control
# requests never end (CUnit, no root, UDP on loopback).
$(BUILD)/sim/tests/test_run_async.o: CPPFLAGS += -Isim -Isim/model -Isim/fabric \
	-Irefimpl/tests -Irefimpl/core $(shell pkg-config --cflags jansson 2>/dev/null)

$(BIN)/test_run_async: $(BUILD)/sim/tests/test_run_async.o $(HASIM_RUN_OBJS) $(HSMODEL_LIB) \
		$(HSFABRIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSMODEL_LIBS) $(HSFABRIC_LDLIBS) $(HN_SODIUM_LIBS) -ljansson \
		$(HS_LIBVIRT_LIBS) $(HSFABRIC_CUNIT_LIBS)

UNIT_TESTS += $(BIN)/test_run_async

# The virtual backend as a user meets it (sim/tests/test_virtual.py): an
# ordinary user's run, the whole library, the same library twice with one
# seed compared byte for byte, a bad scenario refused. A few seconds, no
# root. test-virtual-asan: the same with hasim built with ASan and UBSan.
# The parity tests (virtual vs native, marked netns) run with test-py.
HASIM_SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: test-virtual test-virtual-asan
test-virtual: $(BIN)/hasim
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q -m "not netns" sim/tests/test_virtual.py

test-virtual-asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g" EXTRA_CFLAGS="$(HASIM_SANITIZE)" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" build/asan/bin/hasim
	HALAB_BIN=$(abspath build/asan/bin) $(PYTEST) -q -m "not netns" sim/tests/test_virtual.py

# Node adapters (sim/tests/test_adapter.c, CUnit, no root): nodes/*/adapter.yaml,
# templates, what scenarios need, nodes/hanode's hanode.conf against plan.c's.
$(BUILD)/sim/tests/test_adapter.o: CPPFLAGS += -Isim -Isim/model -Isim/fabric \
	-Irefimpl/tests -Irefimpl/core $(shell pkg-config --cflags jansson 2>/dev/null)

$(BIN)/test_adapter: $(BUILD)/sim/tests/test_adapter.o $(HASIM_RUN_OBJS) $(HSMODEL_LIB) \
		$(HSFABRIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HSMODEL_LIBS) $(HSFABRIC_LDLIBS) $(HN_SODIUM_LIBS) -ljansson \
		$(HS_LIBVIRT_LIBS) $(HSFABRIC_CUNIT_LIBS)

UNIT_TESTS += $(BIN)/test_adapter
