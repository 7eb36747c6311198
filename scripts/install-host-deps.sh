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
arch=""
flavours=""
for arg in "$@"; do
	case "$arg" in
	--dev) dev=1 ;;
	--arch=*) arch=${arg#--arch=} ;;
	--arch) arch=next ;;
	--kernel=*) flavours="$flavours ${arg#--kernel=}" ;;
	-h|--help)
		echo "usage: $0 [--dev] [--arch aarch64] [--kernel=FLAVOUR]..."
		echo "  --dev              also install kernel headers, gcc and make for the examples, shellcheck for npm test,"
		echo "                     linux-source-6.1 and rsync for the kernel selftests (Debian),"
		echo "                     and (amd64) unpack what --arch aarch64 --kernel=rt-amd64 --kernel=cloud-amd64 do, for the tests"
		echo "  --arch aarch64     install qemu-system-arm and unpack Debian's arm64 kernel, modules and static busybox"
		echo "                     into \$VM_EXEC_ARCH_DIR/aarch64 (default ~/.cache/vm-exec/arch/aarch64), a busybox root"
		echo "  --kernel=FLAVOUR   unpack Debian's linux-image-<release>-FLAVOUR (e.g. rt-amd64) into \$VM_EXEC_ARCH_DIR/kernel-FLAVOUR"
		exit 0 ;;
	*)
		if [ "$arch" = next ]; then arch=$arg; else echo "$0: unknown argument: $arg" >&2; exit 2; fi ;;
	esac
done
arch_dir=${VM_EXEC_ARCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vm-exec/arch}
# The test suite's ARM, kernel-matrix and kernel-refusal tests need an arm64 root and Debian's rt and cloud
# kernels: --dev unpacks them too (into the directory above; nothing installed on the host but qemu-system-arm).
if [ "$dev" = 1 ] && command -v dpkg >/dev/null 2>&1 && [ "$(dpkg --print-architecture)" = amd64 ]; then
	[ -n "$arch" ] || arch=aarch64
	flavours="$flavours rt-amd64 cloud-amd64"
fi

# Debian packages of another architecture (or extra kernel flavours), unpacked into a directory of their own:
# a private apt state (its own lists and cache, an empty dpkg status) so that neither `dpkg --add-architecture`
# nor any package install touches the host. Prints the kernel, modules and busybox paths to use.
private_apt() {
	state=$1; debian_arch=$2; shift 2
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
	apt-get -q -o Dir::State::Lists="$state/lists" -o Dir::Cache="$state/cache" -o Dir::State::status=/dev/null \
		-o APT::Architecture="$debian_arch" -o APT::Architectures::="$debian_arch" -o Debug::NoLocking=1 \
		-o APT::Sandbox::User="$(id -un)" "$@"
}
# unpack_kernel DEBIAN_ARCH FLAVOUR DIR [EXTRA_PACKAGE...]: unpack linux-image-<release>-FLAVOUR (and the
# extra packages) into DIR, run depmod on its modules, and print the paths.
unpack_kernel() {
	debian_arch=$1; flavour=$2; dir=$3; shift 3
	state="$arch_dir/.apt-$debian_arch"
	command -v dpkg-deb >/dev/null 2>&1 || { echo "vm-exec: dpkg-deb is needed to unpack Debian packages" >&2; exit 1; }
	private_apt "$state" "$debian_arch" update >/dev/null
	# The metapackage (linux-image-arm64) names the versioned package (linux-image-6.1.0-28-arm64).
	image=$(apt-cache -o Dir::State::Lists="$state/lists" -o Dir::Cache="$state/cache" -o Dir::State::status=/dev/null \
		-o APT::Architecture="$debian_arch" -o APT::Architectures::="$debian_arch" depends "linux-image-$flavour" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1)
	[ -n "$image" ] || { echo "vm-exec: no linux-image-$flavour package for $debian_arch in the apt sources" >&2; exit 1; }
	release=${image#linux-image-}
	if [ -e "$dir/boot/vmlinuz-$release" ] && [ -e "$dir/lib/modules/$release/modules.dep" ]; then
		echo "vm-exec: $image is already unpacked in $dir"
		echo "  kernel:  $dir/boot/vmlinuz-$release"
		echo "  modules: $dir/lib/modules/$release"
		return 0
	fi
	mkdir -p "$dir" "$state/debs"
	rm -f "$state/debs/"*.deb
	(cd "$state/debs" && private_apt "$state" "$debian_arch" download "$image" "$@" >/dev/null 2>&1) ||
		{ echo "vm-exec: apt-get download $image $* failed" >&2; exit 1; }
	for deb in "$state/debs/"*.deb; do dpkg-deb -x "$deb" "$dir"; done
	# Packages run depmod when installed; unpacked by hand, the modules need it run for them.
	depmod -b "$dir" "$release"
	echo "vm-exec: unpacked $image into $dir"
	echo "  kernel:  $dir/boot/vmlinuz-$release"
	echo "  modules: $dir/lib/modules/$release"
}
# A busybox root: the static busybox with its applets linked (names read from the binary), and the
# directories the guest mounts on.
make_busybox_root() {
	dir=$1
	mkdir -p "$dir/bin" "$dir/sbin" "$dir/usr/bin" "$dir/usr/sbin" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/run" "$dir/etc" "$dir/root"
	# The applet table is the NUL-separated list that starts "[", "[[" (the binary may be of another arch).
	tr '\0' '\n' <"$dir/bin/busybox" | sed -n '/^\[\[$/,/^$/p' | grep -E '^[a-z0-9._-]+$' | while read -r applet; do
		for sub in bin sbin; do [ -e "$dir/$sub/$applet" ] && continue 2; done
		ln -s /bin/busybox "$dir/bin/$applet"
	done
	[ -e "$dir/bin/sh" ] || ln -s /bin/busybox "$dir/bin/sh"
	[ -e "$dir/sbin/modprobe" ] || ln -s /bin/busybox "$dir/sbin/modprobe"
	echo "  busybox: $dir/bin/busybox (and a busybox root: --root=$dir)"
}
if [ -n "$arch" ]; then
	case "$arch" in
	aarch64|arm64) ;;
	x86_64|amd64) echo "vm-exec: --arch x86_64 needs nothing beyond the default install"; arch="" ;;
	*) echo "$0: unknown --arch $arch (known: aarch64)" >&2; exit 2 ;;
	esac
fi

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
	# For disk images (the disk-image example and its tests): qemu-img, sfdisk, mkfs.ext4/debugfs/e2fsck.
	command -v qemu-img >/dev/null 2>&1 || missing="$missing qemu-utils"
	command -v sfdisk >/dev/null 2>&1 || missing="$missing fdisk"
	command -v debugfs >/dev/null 2>&1 || [ -x /sbin/debugfs ] || missing="$missing e2fsprogs"
	# The complete guest's tests: a rootless sandbox (bubblewrap) in the guest's user namespaces.
	command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
	# The nix-image example: a closure built on the host (nix-build, nix-store) and nix copy in the guest.
	command -v nix-build >/dev/null 2>&1 || missing="$missing nix-bin"
	# The debugging tests: a real terminal for the interactive shell (tmux) and a real debugger (gdb).
	command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
	command -v gdb >/dev/null 2>&1 || missing="$missing gdb"
	# The kselftest example and the TAP tests build kernel selftests from Debian's kernel source
	# (its selftests' `make install` needs rsync).
	command -v rsync >/dev/null 2>&1 || missing="$missing rsync"
	# (Debian bookworm's kernel source; on a release without it the tests that need it say so.)
	if [ ! -e /usr/src/linux-source-6.1.tar.xz ] && grep -q '^VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null; then
		missing="$missing linux-source-6.1"
	fi
	for k in /boot/vmlinuz-*; do
		release=${k#/boot/vmlinuz-}
		[ -e "/lib/modules/$release/build" ] || missing="$missing $headers_packages"
		break
	done
fi
[ -z "$arch" ] || command -v qemu-system-aarch64 >/dev/null 2>&1 || missing="$missing qemu-system-arm"
[ -z "$arch$flavours" ] || command -v dpkg-deb >/dev/null 2>&1 || missing="$missing dpkg"
[ -z "$arch$flavours" ] || command -v depmod >/dev/null 2>&1 || missing="$missing kmod"
missing=$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ')
# After the host tools: unpack what --arch and --kernel ask for (no root needed for that part).
unpack_extras() {
	if [ -n "$arch" ]; then
		unpack_kernel arm64 arm64 "$arch_dir/aarch64" busybox-static
		make_busybox_root "$arch_dir/aarch64"
		echo "  run:     vm-exec --arch=aarch64 --root=$arch_dir/aarch64 'uname -m'"
		echo "  check:   vm-exec doctor --arch=aarch64 [--boot]"
	fi
	for flavour in $flavours; do
		unpack_kernel "$(dpkg --print-architecture 2>/dev/null || echo amd64)" "$flavour" "$arch_dir/kernel-$flavour"
	done
}
if [ -z "$(echo "$missing" | tr -d ' ')" ]; then
	echo "vm-exec: host tools are installed"
	unpack_extras
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
	unpack_extras
	exit 0
fi
echo "vm-exec: missing:$missing. Install them with: sudo apt-get install$missing" >&2
exit 1
