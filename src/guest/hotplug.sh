#!/bin/sh
# The guest's uevent helper, packed as /etc/vm-exec/hotplug.sh: busybox's `uevent` runs it for every device
# event (from the coldplug on, see coldplug.sh), with the event in its environment. As udev would, it loads the driver
# of a device that appears (a hot-added card, a child of a driver just loaded: the initramfs's copy when it
# carries one, else the host's modprobe) and keeps the /dev/disk/by-id links of disks with a serial, named as
# udev names them: virtio-<serial>[-partN] for virtio disks, nvme-<model>_<serial> and nvme-<wwid> for NVMe
# namespaces. coldplug.sh also runs it for the disks present at coldplug.
if [ "$ACTION" = add ] && [ -n "$MODALIAS" ]; then
	# For insmod_carried (coldplug.sh only defines functions).
	# shellcheck source=/dev/null
	. /etc/vm-exec/coldplug.sh
	insmod_carried "$MODALIAS" || /bin/vmx-modprobe -q "$MODALIAS"
fi
[ "$SUBSYSTEM" = block ] || exit 0
case "$DEVNAME" in vd* | nvme*) ;; *) exit 0 ;; esac
# A removed disk's sysfs files are gone: drop every link to it.
if [ "$ACTION" = remove ]; then
	for link in /dev/disk/by-id/*; do
		[ "$(readlink "$link")" = "../../$DEVNAME" ] && rm -f "$link"
	done
	exit 0
fi
d=/sys$DEVPATH
part=
if [ "$DEVTYPE" = partition ]; then
	d=$d/..
	part=-part$PARTN
fi
# udev's string_escape=replace: characters that cannot be in a link name become _.
escape() { printf %s "$1" | tr -c A-Za-z0-9._- _; }
links=
case "$DEVNAME" in
vd*)
	# virtio-blk's serial file has no final newline: read fails but still sets the variable.
	serial=
	read -r serial <"$d/serial" 2>/dev/null
	[ -n "$serial" ] && links="virtio-$(escape "$serial")$part"
	;;
nvme*)
	# The model and serial are the controller's (or, with native multipath, its subsystem's), padded with
	# spaces that read drops, as udev's $attr does.
	model=''
	serial=''
	wwid=''
	read -r model <"$d/device/model" 2>/dev/null
	read -r serial <"$d/device/serial" 2>/dev/null
	read -r wwid <"$d/wwid" 2>/dev/null
	[ -n "$model" ] && [ -n "$serial" ] && links="nvme-$(escape "${model}_$serial")$part"
	[ -n "$wwid" ] && links="$links nvme-$(escape "$wwid")$part"
	;;
esac
for link in $links; do
	mkdir -p /dev/disk/by-id && ln -sfn "../../$DEVNAME" "/dev/disk/by-id/$link"
done
