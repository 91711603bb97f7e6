#!/bin/sh
# nodes/tools/build-guest-layer.sh - an adapter's layer for the halab guest:
# the node's programs and their shared libraries on top of the busybox
# initramfs (sim/guest/build-initramfs.sh), so that a third-party node runs
# on guests without a Debian root file system.
#
# Usage: build-guest-layer.sh OUT_DIR BASE_INITRAMFS PROGRAM...
#   OUT_DIR         receives root/ (the layer's staging tree), layer.cpio.gz
#                   and initramfs.cpio.gz = BASE_INITRAMFS + the layer
#   BASE_INITRAMFS  the guest's own image (build/guest/initramfs.cpio.gz)
#   PROGRAM         a program to copy: a path, or a name looked up on PATH;
#                   it lands in /usr/sbin with its `ldd` closure under its
#                   host paths (and the loader /lib64/ld-linux-x86-64.so.2)
#
# The kernel unpacks concatenated newc archives one over the other, so the
# layer's files join the base image's (a file in both: the layer's). The
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
		done
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) |
	gzip -6 -n > "$out_dir/layer.cpio.gz.tmp"
mv "$out_dir/layer.cpio.gz.tmp" "$out_dir/layer.cpio.gz"
cat "$base" "$out_dir/layer.cpio.gz" > "$out_dir/initramfs.cpio.gz.tmp"
mv "$out_dir/initramfs.cpio.gz.tmp" "$out_dir/initramfs.cpio.gz"
echo "build-guest-layer: $out_dir/initramfs.cpio.gz ($(du -k "$out_dir/initramfs.cpio.gz" | cut -f1) KiB: base $(du -k "$base" | cut -f1) KiB + layer $(du -k "$out_dir/layer.cpio.gz" | cut -f1) KiB)"
