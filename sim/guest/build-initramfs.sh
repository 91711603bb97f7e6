#!/bin/sh
# sim/guest/build-initramfs.sh - build the halab QEMU guest: a kernel and a
# busybox initramfs, from installed Debian packages only.
#
# What goes in (all from the host's Debian packages):
#   - the kernel /boot/vmlinuz-KVER of linux-image-amd64 (copied as vmlinuz),
#     and the ELF inside it as vmlinux, which QEMU starts through its PVH
#     entry without decompressing in the guest (sim/guest/pvh-kernel.py)
#   - the modules the guest needs, with their dependency closure as listed by
#     `modprobe -S KVER --show-depends` (loading a fixed insmod order fails
#     with "unknown symbol"; busybox modprobe after depmod does not)
#   - busybox-static, with one link per applet
#   - mdadm and the shared libraries it loads (md RAID1 over the two disks)
#   - hnagent (static, built by guest.mk), and hanode/hactl (static, from
#     refimpl/daemon) when they exist: the guest boots without them and the
#     agent then answers that hanode is missing
#   - sim/guest/init as /init
#
# Usage: build-initramfs.sh OUT_DIR HNAGENT STATIC_DIR [KVER]
#   OUT_DIR     receives vmlinuz, vmlinux, initramfs.cpio.gz and a staging
#               tree root/
#   HNAGENT     the static agent binary
#   STATIC_DIR  folder that may hold static hanode and hactl
#   KVER        kernel version; default: the newest /boot/vmlinuz-*
# The staging tree is rebuilt from scratch on every run, so the result only
# depends on the inputs (idempotent); make decides when to run it.
set -eu

out_dir=$1
hnagent=$2
static_dir=$3
kver=${4:-}
here=$(cd "$(dirname "$0")" && pwd)

# Modules the guest loads; the closure is computed below.
# virtio_rng: the host's entropy, so that getrandom() (mdadm, mke2fs, hanode's
# libsodium) does not block ~1-2 s for the kernel's jitter entropy under TCG
# (the device is in the domain XML).
guest_modules="virtio_pci virtio_net virtio_blk virtio_console virtio_rng bonding raid1 ext4 qemu_fw_cfg"

if [ -z "$kver" ]; then
	# Newest installed Debian kernel: the host's running kernel may differ.
	kver=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1)
fi
if [ -z "$kver" ] || [ ! -r "/boot/vmlinuz-$kver" ]; then
	echo "build-initramfs: no readable /boot/vmlinuz-* (install linux-image-amd64)" >&2
	exit 1
fi
if [ ! -d "/lib/modules/$kver" ]; then
	echo "build-initramfs: /lib/modules/$kver missing (install linux-image-amd64)" >&2
	exit 1
fi
# busybox-static installs /bin/busybox; a dynamic busybox would not run in
# the guest, which has no libraries besides mdadm's.
busybox=/bin/busybox
mdadm_bin=/sbin/mdadm
for f in "$busybox" "$mdadm_bin" "$hnagent"; do
	if [ ! -x "$f" ]; then
		echo "build-initramfs: $f missing or not executable" >&2
		exit 1
	fi
done

root=$out_dir/root
rm -rf "$root"
mkdir -p "$root"
for d in bin sbin etc proc sys dev run tmp var/log data usr/bin usr/sbin lib/modules/$kver; do
	mkdir -p "$root/$d"
done

# busybox and its applets
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] && continue
	ln -sf busybox "$root/bin/$applet"
done
# The kernel calls /sbin/modprobe itself (e.g. crypto "crc32c" for ext4).
ln -sf ../bin/busybox "$root/sbin/modprobe"

# mdadm and the libraries the dynamic loader needs for it
cp "$mdadm_bin" "$root/sbin/mdadm"
ldd "$mdadm_bin" | awk '/=>/ { print $3 } /^[[:space:]]*\/lib/ { print $1 }' | sort -u |
	while read -r lib; do
		[ -f "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
# The loader path compiled into binaries is /lib64/ld-linux-x86-64.so.2.
if [ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$root/lib64/ld-linux-x86-64.so.2" ]; then
	mkdir -p "$root/lib64"
	cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
fi

# kernel modules: the closure, then depmod so busybox modprobe resolves order
moddir=/lib/modules/$kver
for m in $guest_modules; do
	modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
	rel=${ko#"$moddir"/}
	mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
	cp "$ko" "$root/lib/modules/$kver/$rel"
done
cp "$moddir/modules.order" "$moddir/modules.builtin" "$root/lib/modules/$kver/"
[ -f "$moddir/modules.builtin.modinfo" ] && cp "$moddir/modules.builtin.modinfo" "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"

# halab binaries
# Debug info is useless in the guest and would double the image.
cp "$hnagent" "$root/sbin/hnagent"
strip --strip-debug "$root/sbin/hnagent"
for b in hanode hactl; do
	if [ -x "$static_dir/$b" ]; then
		cp "$static_dir/$b" "$root/usr/sbin/$b"
		strip --strip-debug "$root/usr/sbin/$b"
	else
		echo "build-initramfs: note: $static_dir/$b absent; guest built without it" >&2
	fi
done
cp "$here/init" "$root/init"
chmod 755 "$root/init"
printf 'halab-guest kernel=%s built=%s\n' "$kver" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$root/etc/halab-release"

# Write to temporary names and rename, so an interrupted build never leaves
# a truncated image that make would consider up to date.
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) |
	gzip -6 -n > "$out_dir/initramfs.cpio.gz.tmp"
mv "$out_dir/initramfs.cpio.gz.tmp" "$out_dir/initramfs.cpio.gz"
cp "/boot/vmlinuz-$kver" "$out_dir/vmlinuz.tmp"
mv "$out_dir/vmlinuz.tmp" "$out_dir/vmlinuz"
# Without a PVH entry (another kernel), no vmlinux: the guest boots vmlinuz.
rm -f "$out_dir/vmlinux"
if /usr/bin/python3 "$here/pvh-kernel.py" "/boot/vmlinuz-$kver" "$out_dir/vmlinux.tmp"; then
	mv "$out_dir/vmlinux.tmp" "$out_dir/vmlinux"
else
	rm -f "$out_dir/vmlinux.tmp"
	echo "build-initramfs: note: no PVH kernel; guests boot vmlinuz (slower under TCG)" >&2
fi
echo "build-initramfs: $out_dir/initramfs.cpio.gz ($(du -k "$out_dir/initramfs.cpio.gz" | cut -f1) KiB), kernel $kver"
