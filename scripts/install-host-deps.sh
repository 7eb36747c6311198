#!/bin/sh
# Install the host tools vm-exec needs: QEMU, a kernel with its modules, a static busybox, and
# (with --dev: for building kernel modules in the examples and for `npm test`) the kernel headers, a
# compiler and shellcheck.
# Installs with apt-get when run as root on Debian/Ubuntu; otherwise prints the command to run.
set -eu

if [ -r /etc/os-release ] && grep -qi ubuntu /etc/os-release; then
	kernel_packages="linux-image-generic"
	headers_packages="linux-headers-generic"
else
	kernel_packages="linux-image-amd64"
	headers_packages="linux-headers-amd64"
fi
dev=0
for arg in "$@"; do
	case "$arg" in
	--dev) dev=1 ;;
	-h|--help) echo "usage: $0 [--dev]   (--dev also installs kernel headers, gcc and make for the examples, and shellcheck for npm test)"; exit 0 ;;
	*) echo "$0: unknown argument: $arg" >&2; exit 2 ;;
	esac
done

missing=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="$missing qemu-system-x86"
busybox_static=0
if command -v dpkg-query >/dev/null 2>&1; then
	# Debian/Ubuntu: ask the package database (readelf, from binutils, may not be installed).
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' && busybox_static=1
else
	for candidate in /bin/busybox /usr/bin/busybox; do
		if [ -x "$candidate" ] && command -v readelf >/dev/null 2>&1 && ! LC_ALL=C readelf -l "$candidate" | grep -q 'interpreter'; then busybox_static=1; fi
	done
fi
[ "$busybox_static" = 1 ] || missing="$missing busybox-static"
ls /boot/vmlinuz-* >/dev/null 2>&1 || [ -e /run/booted-system/kernel ] || missing="$missing $kernel_packages"
command -v xz >/dev/null 2>&1 || missing="$missing xz-utils"
command -v zstd >/dev/null 2>&1 || missing="$missing zstd"
command -v setpriv >/dev/null 2>&1 || missing="$missing util-linux"
if [ "$dev" = 1 ]; then
	command -v gcc >/dev/null 2>&1 || missing="$missing gcc"
	command -v make >/dev/null 2>&1 || missing="$missing make"
	# `npm run lint` (part of `npm test`) checks the guest's init and the project's shell scripts with it.
	command -v shellcheck >/dev/null 2>&1 || missing="$missing shellcheck"
	# The debugging tests: a real terminal for the interactive shell (tmux) and a real debugger (gdb).
	command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
	command -v gdb >/dev/null 2>&1 || missing="$missing gdb"
	for k in /boot/vmlinuz-*; do
		release=${k#/boot/vmlinuz-}
		[ -e "/lib/modules/$release/build" ] || missing="$missing $headers_packages"
		break
	done
fi
missing=$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ -z "$(echo "$missing" | tr -d ' ')" ]; then
	echo "vm-exec: host tools are installed"
	exit 0
fi
if [ -e /etc/NIXOS ]; then
	echo "vm-exec: missing:$missing. On NixOS: nix-shell -p qemu pkgsStatic.busybox (and set VM_EXEC_BUSYBOX)" >&2
	exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "vm-exec: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
	echo "vm-exec: installed:$missing"
	exit 0
fi
echo "vm-exec: missing:$missing. Install them with: sudo apt-get install$missing" >&2
exit 1
