#!/usr/bin/env bash
# Build an ext4 disk image holding a directory's files, without root on the host: the VM formats and
# mounts the image (attached with a QEMU option after --) and copies the files in from /tmp/shared.
#
#   ./make-disk-image.sh <content-dir> <image> [size]
set -euo pipefail
content=$(realpath "${1:?the directory to put in the image}")
image=${2:?the image file to create}
truncate -s "${3:-64M}" "$image"

# vm-exec's exit status is the script's: `set -e` stops this script if anything in the VM failed.
npx vm-exec --quiet --shared="$content" '
	set -euo pipefail
	modprobe virtio_blk   # the disk driver and the file system are modules on distribution kernels
	modprobe ext4
	mkfs.ext4 -q -L content /dev/vda
	mount /dev/vda /mnt
	cp -a /tmp/shared/. /mnt/
	df -h /mnt | tail -1
	umount /mnt
' -- -drive "file=$image,if=virtio,format=raw"
echo "wrote $image"
