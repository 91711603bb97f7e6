#!/bin/sh
# nodes/tools/build-guest-layer.sh - an adapter's layer for the halab guest:
# the node's programs and their shared libraries on top of the busybox
# initramfs (sim/guest/build-initramfs.sh), so that a third-party node runs
# on guests without a Debian root file system.
#
# Usage: build-guest-layer.sh OUT_DIR BASE_INITRAMFS PROGRAM...
#   OUT_DIR         receives root/ (the layer's staging tree), layer.cpio
#                   and initramfs.cpio.gz = BASE_INITRAMFS + the layer
#   BASE_INITRAMFS  the guest's own image (build/guest/initramfs.cpio.gz)
#   PROGRAM         a program to copy: a path, or a name looked up on PATH;
#                   it lands in /usr/sbin with its `ldd` closure under its
#                   host paths (and the loader /lib64/ld-linux-x86-64.so.2)
#
# The kernel unpacks concatenated newc archives one over the other (each
# compressed or not), so the layer's files join the base image's (a file in
# both: the layer's). The
# staging tree is rebuilt from scratch on every run: the result depends on
# the inputs only.
set -eu

out_dir=$1
base=$2
shift 2
if [ ! -r "$base" ]; then
	echo "build-guest-layer: $base missing (make guest)" >&2
	exit 1
fi
root=$out_dir/root
rm -rf "$root"
mkdir -p "$root/usr/sbin" "$root/lib64"
for program in "$@"; do
	path=$program
	case "$program" in
	*/*) ;;
	*) path=$(command -v "$program" || true) ;;
	esac
	if [ -z "$path" ] || [ ! -x "$path" ]; then
		echo "build-guest-layer: $program not found (install its package)" >&2
		exit 1
	fi
	cp -L "$path" "$root/usr/sbin/$(basename "$program")"
	strip --strip-debug "$root/usr/sbin/$(basename "$program")" 2>/dev/null || :
	ldd "$path" | awk '/=>/ { print $3 } /^[[:space:]]*\/lib/ { print $1 }' | sort -u |
		while read -r lib; do
			[ -f "$lib" ] || continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
			strip --strip-unneeded "$root$lib" 2>/dev/null || :
		done
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
# The base image has no user database; daemons look root up (keepalived's
# script_user, enable_script_security).
mkdir -p "$root/etc"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
# Uncompressed: QEMU copies it into the guest's memory as it is, and the
# kernel's unpacking is a copy, where gunzip of ~11 MB under TCG on a loaded
# machine took longer than a scenario's start-up allows.
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) \
	> "$out_dir/layer.cpio.tmp"
mv "$out_dir/layer.cpio.tmp" "$out_dir/layer.cpio"
# The base, zero-padded to 512 bytes: the kernel skips zeros between
# archives, and an archive must start aligned (an unaligned one after gzip's
# odd length was not unpacked).
size=$(wc -c < "$base")
{
	cat "$base"
	head -c $(((512 - size % 512) % 512)) /dev/zero
	cat "$out_dir/layer.cpio"
} > "$out_dir/initramfs.cpio.gz.tmp"
mv "$out_dir/initramfs.cpio.gz.tmp" "$out_dir/initramfs.cpio.gz"
echo "build-guest-layer: $out_dir/initramfs.cpio.gz ($(du -k "$out_dir/initramfs.cpio.gz" | cut -f1) KiB: base $(du -k "$base" | cut -f1) KiB + layer $(du -k "$out_dir/layer.cpio" | cut -f1) KiB, uncompressed)"
