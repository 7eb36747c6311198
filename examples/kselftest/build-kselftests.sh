#!/bin/sh
# Build kernel selftests and install them (kselftest-list.txt, run_kselftest.sh, a directory per
# collection) into OUT_DIR, from Debian's linux-source-6.1 tarball or from a kernel tree.
#   usage: build-kselftests.sh OUT_DIR "timens kcmp" [/usr/src/linux-source-6.1.tar.xz | KERNEL_TREE]
# Does nothing when OUT_DIR already holds an install; builds next to it and renames, so that parallel
# callers never see half an install.
set -eu
out=${1:?usage: build-kselftests.sh OUT_DIR TARGETS [SOURCE]}
targets=${2:?usage: build-kselftests.sh OUT_DIR TARGETS [SOURCE]}
source=${3:-/usr/src/linux-source-6.1.tar.xz}
[ -e "$out/kselftest-list.txt" ] && exit 0
[ -e "$source" ] || { echo "build-kselftests: no $source: install linux-source-6.1 (apt-get install linux-source-6.1) or pass a kernel tree" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$out.build.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
if [ -d "$source" ]; then
	tree=$source
else
	# The selftests need only tools/ and one make include of the tree: a fraction of the whole to unpack.
	top=$(basename "$source" .tar.xz)
	tar -xJf "$source" -C "$work" "$top/tools" "$top/scripts/subarch.include"
	tree=$work/$top
fi
make -s -C "$tree/tools/testing/selftests" TARGETS="$targets" install INSTALL_PATH="$work/install" -j"$(nproc)" >"$work/build.log" 2>&1 ||
	{ tail -n 40 "$work/build.log" >&2; echo "build-kselftests: make install failed for TARGETS=\"$targets\"" >&2; exit 1; }
[ -e "$work/install/kselftest-list.txt" ] || { tail -n 40 "$work/build.log" >&2; exit 1; }
mv "$work/install" "$out" 2>/dev/null || [ -e "$out/kselftest-list.txt" ]
