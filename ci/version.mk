# ci/version.mk - the halab version that `hasim --version` prints.
#
# HALAB_VERSION is `git describe --always --dirty` of this checkout at build
# time (e.g. "ac997eb-dirty", or "v1.2-3-gac997eb" once tags exist), or
# "unknown" outside a git checkout of halab itself (a tarball, or halab
# copied into another repository, whose git must not lend its own
# version). Override it: `make HALAB_VERSION=1.2.3`. It reaches hasim.c as
# -DHALAB_VERSION='"..."'; the stamp file changes only when the version
# does, so hasim.o is rebuilt then and only then.
ifndef HALAB_VERSION_MK
HALAB_VERSION_MK := 1

HALAB_VERSION ?= $(shell if [ "$$(git -C '$(CURDIR)' rev-parse --show-toplevel 2>/dev/null)" = \
	"$(CURDIR)" ]; then git -C '$(CURDIR)' describe --always --dirty 2>/dev/null; fi)
ifeq ($(strip $(HALAB_VERSION)),)
override HALAB_VERSION := unknown
endif
HALAB_VERSION_STAMP := $(BUILD)/halab-version

.PHONY: halab-version-check
$(HALAB_VERSION_STAMP): halab-version-check
	@mkdir -p $(dir $@)
	@echo '$(HALAB_VERSION)' | cmp -s - $@ 2>/dev/null || echo '$(HALAB_VERSION)' > $@

$(BUILD)/sim/hasim.o: $(HALAB_VERSION_STAMP)
$(BUILD)/sim/hasim.o: CPPFLAGS += -DHALAB_VERSION='"$(HALAB_VERSION)"'
endif
