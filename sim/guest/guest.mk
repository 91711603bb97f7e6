# sim/guest/guest.mk - the QEMU guest of halab nodes: a Debian kernel and a
# busybox initramfs with mdadm, hnagent and (when built) static hanode/hactl.
#
# Targets:
#   guest                  $(BUILD)/guest/vmlinuz (+ vmlinux, its PVH ELF) +
#                          $(BUILD)/guest/initramfs.cpio.gz
#   $(BUILD)/guest/hnagent the static management agent
#   guest-test             pytest sim/tests/test_guest.py -m vm (boots QEMU
#                          guests through libvirt; root, several minutes)
#
# Inputs are installed Debian packages only (linux-image-amd64, busybox-static,
# mdadm) plus sim/guest/{init,build-initramfs.sh,hnagent.c} and, if they exist,
# $(BUILD)/static/hanode and $(BUILD)/static/hactl (refimpl/daemon/daemon.mk's
# daemon-static, built first when that fragment is loaded). make rebuilds the
# image only when one of them changed; a guest built without hanode boots and
# its agent answers STATUS with "OK missing".
#
# How the host parameterises a guest (see sim/guest/init for the full list):
# kernel command line `console=ttyS0 halab.hostname=node1
# halab.bond0=192.0.2.11/24 halab.bond1=198.51.100.1/24 ...`, and fw_cfg
# entries opt/org.halab/hanode.conf and opt/org.halab/cluster.key.

-include sim/backend/libvirt.mk

GUEST_DIR := $(BUILD)/guest
GUEST_KVER ?= $(shell ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1)
# With refimpl/daemon/daemon.mk loaded (it defines HN_DAEMON_OBJS), the guest
# always gets a fresh static hanode/hactl; without it, whatever exists.
ifdef HN_DAEMON_OBJS
GUEST_STATIC := $(BUILD)/static/hanode $(BUILD)/static/hactl
else
GUEST_STATIC := $(wildcard $(BUILD)/static/hanode $(BUILD)/static/hactl)
endif
GUEST_INPUTS := sim/guest/init sim/guest/build-initramfs.sh sim/guest/pvh-kernel.py $(GUEST_DIR)/hnagent \
	$(wildcard /boot/vmlinuz-$(GUEST_KVER) /bin/busybox /sbin/mdadm) $(GUEST_STATIC)

.PHONY: guest guest-test

guest: $(GUEST_DIR)/initramfs.cpio.gz

$(GUEST_DIR)/hnagent: sim/guest/hnagent.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -static $(LDFLAGS) -o $@ $<

# One recipe writes both files; vmlinuz is listed as its side product.
$(GUEST_DIR)/initramfs.cpio.gz: $(GUEST_INPUTS)
	@mkdir -p $(GUEST_DIR)
	sh sim/guest/build-initramfs.sh $(GUEST_DIR) $(GUEST_DIR)/hnagent $(BUILD)/static $(GUEST_KVER)

$(GUEST_DIR)/vmlinuz: $(GUEST_DIR)/initramfs.cpio.gz

guest-test: guest $(BIN)/hs-libvirt
	HALAB_BIN=$(abspath $(BIN)) HALAB_GUEST=$(abspath $(GUEST_DIR)) \
	  $(PYTEST) -v -m vm sim/tests/test_guest.py
