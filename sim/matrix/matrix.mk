# sim/matrix/matrix.mk - `hasim matrix`: the library over many topologies
# with repeats, as a certification report (sim/matrix/README.md).
#
# Exports for hasim (sim/hasim.mk links it):
#   HSMATRIX_LIB   $(BUILD)/lib/libhsmatrix.a
# Targets: matrix-test (pytest: sim/tests/test_matrix.py), matrix-smoke
# (a small matrix on the virtual backend, part of make test).

HSMATRIX_SOURCES := plan exec report html matrix nodes
HSMATRIX_OBJS := $(addprefix $(BUILD)/sim/matrix/,$(addsuffix .o,$(HSMATRIX_SOURCES)))
HSMATRIX_LIB := $(BUILD)/lib/libhsmatrix.a

$(HSMATRIX_OBJS): CPPFLAGS += -Isim -Isim/matrix -Isim/model -Isim/check \
	$(shell pkg-config --cflags jansson 2>/dev/null)

$(HSMATRIX_LIB): $(HSMATRIX_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

.PHONY: matrix-test matrix-smoke
matrix-test: $(BIN)/hasim
	HALAB_BIN=$(abspath $(BIN)) $(PYTEST) -q sim/tests/test_matrix.py

# Every library scenario on every shipped pairing, one seed, virtual
# backend, two jobs (a few seconds); the report stays in
# reports/matrix-smoke.
matrix-smoke: $(BIN)/hasim
	rm -rf reports/matrix-smoke
	$(BIN)/hasim matrix --jobs 2 --out reports/matrix-smoke --quiet
