#!/bin/sh
# ci/deps.sh - install the Debian packages halab needs to build, test and run
# guests. Idempotent: asks apt only for what is missing.
set -eu
packages="build-essential pkg-config clang-format libsodium-dev libyaml-dev libcunit1-dev libslirp-dev
libvirt-dev libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils lcov
libjansson-dev python3-pytest python3-yaml busybox-static cpio mdadm linux-image-amd64 iproute2 kmod
python3-pytest-xdist libxml2-utils clang git keepalived iputils-ping pacemaker
pacemaker-cli-utils corosync resource-agents stress-ng chromium"
# chromium: sim/tests/test_matrix.py renders the matrix report (report.html)
# headless and checks its screenshot.
# The CI templates' linters run on node (ci/lint-templates.sh); a node from
# elsewhere (nodesource) already brings npm, and Debian's npm would fight it.
command -v npm >/dev/null 2>&1 || packages="$packages nodejs npm"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all Debian packages present"
	exit 0
fi
echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q $missing
