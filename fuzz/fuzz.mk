# fuzz/fuzz.mk - libFuzzer targets and `make fuzz` (fuzz/README.md).
#
# Include it from the top Makefile after sim/sim.mk (it uses HSMODEL_SRCS
# and HSCHECK_SOURCES): `-include fuzz/fuzz.mk`. Targets:
#   fuzz-build   the fuzzers, built with clang, libFuzzer, ASan and UBSan
#                into $(BUILD)/fuzz (objects of their own, apart from the
#                normal build)
#   fuzz         fuzz-build, then each fuzzer for FUZZ_SECONDS (default 20;
#                `make -j2 fuzz` runs two at a time, as make test does)
#                on its seeds; new inputs go to $(BUILD)/fuzz/corpus/<target>,
#                a crash to $(BUILD)/fuzz/crashes/ (and make fails, naming it)
# FUZZ_SECONDS=600 make fuzz for a longer run; fuzz/README.md for more.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SANITIZERS := address,undefined
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,$(FUZZ_SANITIZERS) -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
FUZZ_LDFLAGS := -fsanitize=fuzzer,$(FUZZ_SANITIZERS)
FUZZ_CPPFLAGS := -Irefimpl/core -Isim/model -Isim/check \
	$(shell pkg-config --cflags libsodium yaml-0.1 jansson 2>/dev/null)

FUZZ_MODEL_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(HSMODEL_SRCS))
FUZZ_CHECK_OBJS := $(patsubst %,$(FUZZ_DIR)/obj/sim/check/%.o,$(HSCHECK_SOURCES))
FUZZ_CORE_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(HN_CORE_SOURCES))
FUZZ_TARGETS := proto topology scenario run_lines request kvline config
FUZZ_BINS := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/obj/fuzz/fuzz_scenario.o: fuzz/fuzz_model.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) -DFUZZ_SCENARIO -MMD -MP -c $< -o $@

# hanode's text inputs: one source, three targets (fuzz_node_lines.c).
FUZZ_NODE_CPPFLAGS := -Irefimpl/daemon -Irefimpl/host
$(FUZZ_DIR)/obj/refimpl/daemon/%.o: FUZZ_CPPFLAGS += $(FUZZ_NODE_CPPFLAGS)
$(FUZZ_DIR)/obj/fuzz/fuzz_%_line.o: fuzz/fuzz_node_lines.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) $(FUZZ_NODE_CPPFLAGS) \
		-DFUZZ_$(shell echo $* | tr a-z A-Z) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/fuzz_request: $(FUZZ_DIR)/obj/fuzz/fuzz_request_line.o \
		$(FUZZ_DIR)/obj/refimpl/daemon/request.o $(FUZZ_CORE_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(shell pkg-config --libs libsodium 2>/dev/null || echo -lsodium)

$(FUZZ_DIR)/fuzz_kvline: $(FUZZ_DIR)/obj/fuzz/fuzz_kvline_line.o \
		$(FUZZ_DIR)/obj/refimpl/daemon/kvline.o
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

$(FUZZ_DIR)/fuzz_config: $(FUZZ_DIR)/obj/fuzz/fuzz_config_line.o \
		$(FUZZ_DIR)/obj/refimpl/daemon/config.o $(FUZZ_CORE_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(shell pkg-config --libs libsodium 2>/dev/null || echo -lsodium)

$(FUZZ_DIR)/fuzz_proto: $(FUZZ_DIR)/obj/fuzz/fuzz_proto.o $(FUZZ_DIR)/obj/refimpl/core/proto.o
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(shell pkg-config --libs libsodium 2>/dev/null || echo -lsodium)

$(FUZZ_DIR)/fuzz_topology: $(FUZZ_DIR)/obj/fuzz/fuzz_model.o $(FUZZ_MODEL_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(HSMODEL_LIBS)

$(FUZZ_DIR)/fuzz_scenario: $(FUZZ_DIR)/obj/fuzz/fuzz_scenario.o $(FUZZ_MODEL_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(HSMODEL_LIBS)

$(FUZZ_DIR)/fuzz_run_lines: $(FUZZ_DIR)/obj/fuzz/fuzz_run_lines.o $(FUZZ_CHECK_OBJS) \
		$(FUZZ_MODEL_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(HSCHECK_LIBS) $(HSMODEL_LIBS)

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)

# Seeds: the corpus checked in under fuzz/corpus/<target>, and for the YAML
# loaders the shipped files and the model's fixtures. Every run starts from
# them plus what earlier runs kept in $(FUZZ_DIR)/corpus/<target>.
FUZZ_SEEDS_proto := fuzz/corpus/proto
FUZZ_SEEDS_topology := fuzz/corpus/topology topologies sim/tests/model_fixtures
FUZZ_SEEDS_scenario := fuzz/corpus/scenario scenarios sim/tests/negative
FUZZ_SEEDS_run_lines := fuzz/corpus/run_lines
FUZZ_SEEDS_request := fuzz/corpus/request
FUZZ_SEEDS_kvline := fuzz/corpus/kvline
FUZZ_SEEDS_config := fuzz/corpus/config
FUZZ_DICT_proto :=
FUZZ_DICT_topology := -dict=fuzz/yaml.dict
FUZZ_DICT_scenario := -dict=fuzz/yaml.dict
FUZZ_DICT_run_lines := -dict=fuzz/jsonl.dict
FUZZ_DICT_request :=
FUZZ_DICT_kvline :=
FUZZ_DICT_config := -dict=fuzz/config.dict

.PHONY: fuzz fuzz-build $(addprefix fuzz-run-,$(FUZZ_TARGETS))
fuzz-build: $(FUZZ_BINS)

# One rule per target, so that `make -j2 fuzz` runs two fuzzers at a time
# (make test does); each prints its line when it ends.
fuzz: $(addprefix fuzz-run-,$(FUZZ_TARGETS))

$(addprefix fuzz-run-,$(FUZZ_TARGETS)): fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/crashes
	@log=$(FUZZ_DIR)/$*.log; \
	if $(FUZZ_DIR)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 $(FUZZ_DICT_$*) \
		-artifact_prefix=$(FUZZ_DIR)/crashes/$*- \
		$(FUZZ_DIR)/corpus/$* $(FUZZ_SEEDS_$*) < /dev/null > $$log 2>&1; then \
		echo "fuzz: $*: $$(grep -o 'stat::number_of_executed_units: *[0-9]*' $$log \
			| grep -o '[0-9]*$$') runs in $(FUZZ_SECONDS) s, no crash" \
			"(corpus $$(ls $(FUZZ_DIR)/corpus/$* | wc -l) new inputs)"; \
	else \
		tail -40 $$log; echo "fuzz: $* crashed: see $$log and" \
			"$(FUZZ_DIR)/crashes/$*-*" >&2; exit 1; \
	fi
