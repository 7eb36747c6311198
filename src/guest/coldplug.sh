# shellcheck shell=sh
# Sourced by init.sh (packed as /etc/vm-exec/coldplug.sh): the coldplug, run by root.sh after "go". Uses
# init's log and /bin/vmx-modprobe (the host's modprobe in the guest's root).
#
# Coldplug, as udev does at boot: load the driver of every device that has none yet (its modalias), with
# one modprobe for all of them, and the /dev/disk/by-id links of disks with a serial. The host's modprobe
# needs the root, so this runs after "go", cold and restored alike. The chipset every VM has (host and ISA
# bridges, power management, PC speaker, framebuffer) is left without drivers, as before.
# Only a VM with devices of its own (qemuArgs that add one or a monitor that could, disks: VMX_DEVICES) pays
# for it; it also gets a listener for later devices (hot-added ones, children of a driver loaded here,
# partitions): busybox's uevent runs hotplug.sh for each kernel event (Debian's kernel has no uevent helper,
# CONFIG_UEVENT_HELPER). Not the others: every mount is an event, and after a restore the first process
# costs ~0.1 s. A second pass catches devices that the first pass's drivers made.
coldplug() {
	[ -n "$VMX_DEVICES" ] || return 0
	# Through a subshell that exits at once: the agent must have no child that could end during its reads.
	(uevent sh /etc/vm-exec/hotplug.sh </dev/null >/dev/null 2>&1 3>&- 4>&- 6>&- 7>&- 8>&- 9>&- &)
	tried=' '
	for pass in 1 2; do
		set --
		for d in /sys/bus/*/devices/*; do
			[ -e "$d/driver" ] || [ ! -e "$d/modalias" ] && continue
			read -r a <"$d/modalias" || continue
			case "$tried" in *" $a "*) continue ;; esac
			tried="$tried$a "
			case "$a" in
			pci:v00008086d00001237* | pci:v00008086d00007000* | pci:v00008086d00007113* | platform:pcspkr | platform:platform-framebuffer) ;;
			*) set -- "$@" "$a" ;;
			esac
		done
		[ $# -eq 0 ] && break
		/bin/vmx-modprobe -q -a "$@" || log "coldplug (pass $pass): no module for some of: $*"
	done
	# The disks' events may have come before the listener listened: make their links here.
	[ -e /sys/class/block/vda ] && (
		cd /sys/class/block || exit
		export DEVNAME DEVPATH DEVTYPE PARTN ACTION=add SUBSYSTEM=block
		for DEVNAME in vd*; do
			DEVPATH=/class/block/$DEVNAME
			DEVTYPE=disk
			[ -e "$DEVNAME/partition" ] && DEVTYPE=partition && read -r PARTN <"$DEVNAME/partition"
			sh /etc/vm-exec/hotplug.sh
		done
	)
}
