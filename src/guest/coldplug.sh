# shellcheck shell=sh
# Sourced by init.sh (packed as /etc/vm-exec/coldplug.sh): the coldplug, run by root.sh after "go", and
# the drivers the initramfs carries (hotplug.sh sources it too). Uses init's log and /bin/vmx-modprobe (the
# host's modprobe in the guest's root).
#
# Coldplug, as udev does at boot: load the driver of every device that has none yet (its modalias), and
# the /dev/disk/by-id links of disks with a serial. The drivers of vm-exec's own disks (virtio-blk) and of
# a virtio RNG come from the initramfs (insmod, listed in /etc/vm-exec/driver-aliases, see
# src/boot/device-modules.ts): the host's modprobe runs in the guest's root over 9p, and a first run in a VM
# (its libraries and module indexes over 9p) cost 0.4-0.65 s. Only the devices they do not cover go to one modprobe for all of them. The chipset
# every VM has (host and ISA bridges, power management, PC speaker, framebuffer, and the ACPI devices of a VM
# that has ACPI for hotplug: floppy controller, buttons, fw_cfg…) is left without drivers, and
# so is the PIIX IDE controller of the pc machine unless the VM may have IDE drives (VMX_IDE): ata_piix,
# libata and the SCSI core took 0.7-0.9 s more.
# Only a VM with devices of its own (qemuArgs that add one or a monitor that could, disks: VMX_DEVICES) pays
# for it; it also gets a listener for later devices (hot-added ones, children of a driver loaded here,
# partitions): busybox's uevent runs hotplug.sh for each kernel event (Debian's kernel has no uevent helper,
# CONFIG_UEVENT_HELPER). Not the others: every mount is an event, and after a restore the first process
# costs ~0.1 s. A second pass catches devices that the first pass's drivers made.

# Load the carried driver of a modalias (dependencies first); fails when the initramfs has none for it.
insmod_carried() {
	while read -r glob files; do
		# The glob is a pattern on purpose (modules.alias globs: virtio:d00000002v*).
		# shellcheck disable=SC2254
		case "$1" in
		$glob)
			for f in $files; do insmod "/lib/modules/$f" 2>/dev/null; done
			return 0
			;;
		esac
	done </etc/vm-exec/driver-aliases
	return 1
}

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
			# The machine's own ACPI devices, in VMs with ACPI for hotplug (floppy controller, buttons, fw_cfg, …).
			acpi:*) ;;
			pci:v00008086d00007010*) [ -z "$VMX_IDE" ] || set -- "$@" "$a" ;;
			*)
				# Bound now when the initramfs carried its driver; else left to modprobe.
				if ! insmod_carried "$a" || [ ! -e "$d/driver" ]; then set -- "$@" "$a"; fi
				;;
			esac
		done
		[ $# -eq 0 ] && continue
		/bin/vmx-modprobe -q -a "$@" || log "coldplug (pass $pass): no module for some of: $*"
	done
	# The disks' events may have come before the listener listened: make their links here.
	[ -e /sys/class/block/vda ] || [ -e /sys/class/block/nvme0n1 ] || return 0
	(
		cd /sys/class/block || exit
		export DEVNAME DEVPATH DEVTYPE PARTN ACTION=add SUBSYSTEM=block
		for DEVNAME in vd* nvme*; do
			[ -e "$DEVNAME" ] || continue
			DEVPATH=/class/block/$DEVNAME
			DEVTYPE=disk
			[ -e "$DEVNAME/partition" ] && DEVTYPE=partition && read -r PARTN <"$DEVNAME/partition"
			sh /etc/vm-exec/hotplug.sh
		done
	)
}
