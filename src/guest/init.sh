#!/bin/sh
# vm-exec's guest init: PID 1 of every VM, run by the initramfs's static busybox (its ash shell).
# prepareInitramfs (src/boot/initramfs.ts) packs it as /init, with runner.sh, root.sh and network.sh in /etc/vm-exec/,
# the kernel modules to load, device nodes and, when it can, a copy of the host's shell. The initramfs's
# cache key covers the text of every script, and the snapshot key covers the initramfs (the QEMU argv it
# hashes names the initramfs file by that key): editing any of them means a new initramfs and new
# snapshots. The host's side of the control line is src/protocol/messages.ts.
#
# Life of the guest:
#   1. mount /proc, /sys, /dev; load the virtio/9p/overlay modules (listed in /etc/vm-exec/modules,
#      dependencies first); point the kernel's module auto-loading at the host's modprobe (in the root
#      built after `go`); copy the modules.devname nodes into /dev; set the host name, bring loopback up,
#      mount the writable layer (/rw), make the pipes and the first four cgroup slots;
#   2. when the initramfs carries a copy of the host's shell, start the runner (runner.sh, run by that
#      shell) with the stage dir as its root, and wait until it says it has started;
#   3. open the control port ttyS1 and keep it open (bytes that arrive while nobody has the tty open
#      are dropped); fork the agent, which starts the processes that will build the root (each blocked on
#      a pipe), says `ready`, and waits for `go`. Nothing 9p is mounted yet, so the host may save a
#      snapshot of the VM right here (QEMU refuses to migrate once a 9p share is mounted). PID 1 itself
#      ignores SIGCHLD (the kernel reaps orphans at once) and only stays alive from here on;
#   4. on `go`: build the root (the host's / read-only over 9p under a tmpfs overlay, with the guest's
#      own /proc, /sys, /dev, /tmp, /run) and mount the exchange dir in it, all with one `mount -a`;
#      pivot_root the runner into it (or, with no copy of the shell or one that did not start, start the
#      runner in it now); read the per-VM settings the host wrote there (boot.env) and apply them (exposed
#      host paths, the shared dir, a modules dir, the host name, network cards); say `up`. When the runner
#      already runs and the VM asks for none of those settings, nothing here forks or execs: the helpers
#      were started before `ready`;
#   5. agent loop: `run ID` hands the id to the runner's subshell waiting on a free cgroup slot, which
#      runs xchg/ID.sh in that root (so `kill ID` can kill its whole process tree with cgroup.kill);
#      the runner answers `done ID STATUS`; `reap ID` returns the slot once its processes are all gone;
#      `reboot` leaves (QEMU runs with -no-reboot). A fatal error says `error ...` and reboots too.
export PATH=/bin
R=/stage
X=$R/run/vm-exec/xchg
CG=/sys/fs/cgroup
NINEP=trans=virtio,version=9p2000.L,msize=512000
# The shell that runs scripts (the shell option; /bin/sh by default), a path in the guest's root.
read -r SH </etc/vm-exec/shell

say() { echo "$*" >&3; }
log() { echo "vm-exec-init: $*" >/dev/console; }
die() { log "$*"; say "error $*"; sync; reboot -f; sleep 1000; }
# What runs after "go" lives in files of its own, packed next to runner.sh: building the root (root.sh)
# and the network cards (network.sh). Sourcing them defines functions and costs no process.
# shellcheck source=src/guest/root.sh
. /etc/vm-exec/root.sh
# shellcheck source=src/guest/network.sh
. /etc/vm-exec/network.sh

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r module; do
	insmod "/lib/modules/$module" || log "insmod $module failed"
done </etc/vm-exec/modules

# The kernel loads modules on demand (ip link add … type veth, losetup, mount -t …) by running
# /proc/sys/kernel/modprobe in PID 1's root, which is this initramfs: point it at the host's modprobe
# inside the new root (built after "go"), so auto-loading sees every host module.
printf '#!/bin/sh\nexec /bin/chroot %s /sbin/modprobe "$@"\n' "$R" >/bin/vmx-modprobe
chmod 755 /bin/vmx-modprobe
echo /bin/vmx-modprobe >/proc/sys/kernel/modprobe
# Device nodes whose first open loads their module (/dev/loop-control, /dev/net/tun, /dev/fuse, …), as
# systemd creates them from modules.devname on a real system: the initramfs carries them. Copied here,
# before the snapshot point, into the one devtmpfs every later /dev mount shows (never over a node the
# kernel made itself).
set -- /etc/vm-exec/dev/*
[ -e "$1" ] && cp -an "$@" /dev/

# Everything that needs no 9p share is done before the snapshot point, so restored VMs skip it:
# the host name, loopback, the writable layer, the guest's /run, the pipe to the runner, the runner
# itself when it can start here (below), and the table of every mount the root needs. After "go" one
# process mounts them all: each process costs under emulation, and after a restore every code path
# runs for the first time.
hostname vm-exec
ip link set lo up 2>/dev/null
mkdir -p /host /rw /dev/pts /dev/shm
mount -t tmpfs -o mode=755 rw /rw
mkdir -p /rw/root/upper /rw/root/work /rw/run/vm-exec/xchg /rw/run/vm-exec/stage
mkfifo /rw/runs /rw/started /rw/slot1 /rw/slot2 /rw/slot3 /rw/slot4
# Each exec runs in a cgroup of its own, so that a timeout can kill its whole process tree at once
# (cgroup.kill). The agent hands out numbered slots (vmx-N) and reuses one once its processes are all
# gone: creating a cgroup per exec would cost a process each time. favordynmods makes moving a process
# into a cgroup cheap (no RCU grace period; kernel 6.0+). The guest's /sys/fs/cgroup is this mount.
mount -t cgroup2 -o favordynmods cgroup2 /sys/fs/cgroup 2>/dev/null || mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir "$CG/vmx-1" "$CG/vmx-2" "$CG/vmx-3" "$CG/vmx-4"
slots=4
free='1 2 3 4'
busy=
new_slot() {
	slots=$((slots + 1))
	mkdir "$CG/vmx-$slots" && free="$free $slots"
}

# The runner: the host's own shell ($SH), started once and kept, whose root is the guest's root; it
# waits for exec ids and runs the execs (see runner.sh). Its program is runner.sh without the lines that
# are only a comment, so that its command line (what `ps` shows in the guest) is the program alone.
RUNNER=$(grep -v '^[[:space:]]*#' /etc/vm-exec/runner.sh)

runner() {
	"$@" </dev/null >/dev/console 2>&1 3>&-
	# An early runner that ended before it started is replaced by PID 1 (which kills this loop).
	{ echo exited >&5; } 2>/dev/null
	exec 5>&-
	while sleep 1; do
		log "the runner shell exited; restarting it"
		env -i chroot "$R" "$SH" -c "$RUNNER" "$SH" </dev/null >/dev/console 2>&1 3>&-
	done
}

# The OOM killer must pick a runaway script, never the machinery: PID 1, the agent and the runner are
# exempt (-1000, inherited by them), and each exec resets itself to 0 above.
echo -1000 >/proc/self/oom_score_adj
# The pipe from the agent to the runner, opened by PID 1 so that both inherit it, and the one on which
# the runner says it has started.
exec 4<>/rw/runs 5<>/rw/started 6<>/rw/slot1 7<>/rw/slot2 8<>/rw/slot3 9<>/rw/slot4

# Starting the host's dynamically linked shell costs ~250 ms under emulation (libc over 9p, then its
# relocation), so when the initramfs carries a copy of it (stage/.vmx: the shell, its loader and its
# libraries, byte for byte the host's), the runner starts here, before the snapshot point, with the
# stage as its root. After "go" the guest's root is mounted on stage/.root and pivot_root makes it the
# root of the runner (of every process whose root is the stage), which then sees the host's / as its
# own, exactly as if it had been started there.
if [ -x /stage/.vmx/sh ]; then
	R0=$R/.root
	mount --bind /stage /stage
	mount --bind /bin/busybox /stage/.vmx/busybox
	if [ -x /stage/.vmx/ld.so ]; then
		set -- /.vmx/ld.so --inhibit-cache --library-path /.vmx /.vmx/sh
	else
		set -- /.vmx/sh
	fi
	runner env -i chroot /stage "$@" -c "$RUNNER" "$SH" &
	# A snapshot taken while the runner is still starting would leave the rest of its start to every
	# restored VM: wait until it is ready to read exec ids.
	read -r started <&5
	if [ "$started" != started ]; then
		log "the copy of the host's shell did not start; the guest starts $SH after boot instead"
		kill $!
		umount /stage/.vmx/busybox /stage
		R0=$R
	fi
else
	R0=$R
fi
exec 5>&-
mkfifo /rw/fstab /rw/unstage /stage/.pivot

exec 3<>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo

# Slots whose processes have all left (a background daemon may outlive its exec) are free again.
recheck_slots() {
	b=$busy
	busy=
	for slot in $b; do
		# A slot is busy while its cgroup.procs has a first line; the pid itself is not needed.
		# shellcheck disable=SC2034
		if read -r pid <"$CG/vmx-$slot/cgroup.procs" 2>/dev/null; then busy="$busy $slot"; else free="$free $slot"; fi
	done
}

# The agent reads the control line. Its children (the root's helpers, which wait for "go", and mkdir for a
# new slot) end before it reads again, so no SIGCHLD interrupts its read. Exec ids are [a-z0-9]+ (anything else is ignored).
agent() {
	start_root_helpers
	say ready
	while read -r verb rest <&3; do
		[ "$verb" = go ] && break
	done
	build_root
	say up
	while read -r verb id <&3; do
		case "$verb:$id" in
		run:*[!a-z0-9]*|run:|kill:*[!a-z0-9]*|kill:|reap:*[!a-z0-9]*|reap:) ;;
		run:*)
			[ -n "$free" ] || recheck_slots
			[ -n "$free" ] || new_slot
			# Split on purpose: $free is a list of slot numbers, the first one is taken.
			# shellcheck disable=SC2086
			set -- $free
			slot=$1
			shift
			free="$*"
			eval "slot_$id=$slot"
			if [ "$slot" -le 4 ]; then echo "$id" >&$((slot + 5)); else echo "$id $slot" >&4; fi
			;;
		kill:*)
			eval "slot=\$slot_$id"
			[ -n "$slot" ] && echo 1 >"$CG/vmx-$slot/cgroup.kill" 2>/dev/null
			;;
		reap:*)
			eval "slot=\$slot_$id"
			unset "slot_$id"
			[ -n "$slot" ] && busy="$busy $slot" && recheck_slots
			;;
		reboot:*) sync; reboot -f ;;
		esac
	done
	die "control port closed"
}

agent &
# PID 1 adopts every orphaned exec. With SIGCHLD ignored the kernel reaps them at once (no zombies),
# so all PID 1 has left to do is to stay alive.
trap '' CHLD
while :; do sleep 86400; done
