#!/bin/sh
# The guest's uevent helper, packed as /etc/vm-exec/hotplug.sh: busybox's `uevent` runs it for every device
# event (from the coldplug on, see coldplug.sh), with the event in its environment. As udev would, it loads the driver
# of a device that appears (a hot-added card, a child of a driver just loaded) and keeps the
# /dev/disk/by-id/virtio-<serial>[-partN] links of virtio disks with a serial. coldplug.sh also runs it for
# the disks present at coldplug.
if [ "$ACTION" = add ] && [ -n "$MODALIAS" ]; then /bin/vmx-modprobe -q "$MODALIAS"; fi
[ "$SUBSYSTEM" = block ] || exit 0
case "$DEVNAME" in vd*) ;; *) exit 0 ;; esac
d=/sys$DEVPATH
part=
if [ "$DEVTYPE" = partition ]; then
	d=$d/..
	part=-part$PARTN
fi
# virtio-blk's serial file has no final newline: read fails but still sets the variable.
serial=
read -r serial <"$d/serial" 2>/dev/null
[ -n "$serial" ] || exit 0
link=/dev/disk/by-id/virtio-$(printf %s "$serial" | tr -c A-Za-z0-9._- _)$part
if [ "$ACTION" = remove ]; then
	rm -f "$link"
else
	mkdir -p /dev/disk/by-id && ln -sfn "../../$DEVNAME" "$link"
fi
