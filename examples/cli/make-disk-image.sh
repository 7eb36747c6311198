#!/usr/bin/env bash
# Build an ext4 disk image holding a directory's files, without root on the host: the VM formats and
# mounts the image (attached with --disk, as /dev/vda) and copies the files in from /tmp/shared.
#
#   ./make-disk-image.sh <content-dir> <image> [size]
set -euo pipefail
content=$(realpath "${1:?the directory to put in the image}")
image=${2:?the image file to create}

# vm-exec's exit status is the script's: `set -e` stops this script if anything in the VM failed.
# --disk=PATH:SIZE creates the (sparse) image; the guest has the disk driver loaded before the script runs.
npx vm-exec --quiet --shared="$content" --disk="$image:${3:-64M}" '
	set -euo pipefail
	mkfs.ext4 -q -L content /dev/vda
	mount /dev/vda /mnt
	cp -a /tmp/shared/. /mnt/
	df -h /mnt | tail -1
	umount /mnt
'
echo "wrote $image"
