#!/bin/sh
# vm-exec's guest init: PID 1 of every VM, run by the initramfs's static busybox (its ash shell).
# The initramfs (laid out in src/boot/initramfs.ts) holds it as /init, with runner.sh, root.sh, network.sh, coldplug.sh and hotplug.sh in /etc/vm-exec/,
# the kernel modules to load (and a modules.dep for them), device nodes, the init's named pipes (/pipes) and,
# when it can, a copy of the host's shell. The initramfs's
# cache key covers the text of every script, and the snapshot key covers the initramfs (the QEMU argv it
# hashes names the initramfs file by that key): editing any of them means a new initramfs and new
# snapshots. The host's side of the control line is src/protocol/messages.ts.
#
# Life of the guest:
#   1. mount /proc, /sys, /dev, the writable layer (/rw) and cgroup2 (one mount -a); load the virtio/9p/overlay
#      modules (listed in /etc/vm-exec/modules, dependencies first; one modprobe); point the kernel's module
#      auto-loading at the host's modprobe (in the root built after `go`); copy the modules.devname nodes
#      and the control line's name (/dev/vmx-control) into /dev; set the host name, bring loopback up, make
#      the first four cgroup slots. Each process costs under emulation, so these are as few as can be;
#   2. when the initramfs carries a copy of the host's shell, start the runner (runner.sh, run by that
#      shell) with the stage dir as its root, and wait until it says it has started;
#   3. open the control port (ttyS1, or aarch64's hvc0: /dev/vmx-control) and keep it open (bytes that arrive while nobody has the tty open
#      are dropped); fork the agent, which starts the processes that will build the root (each blocked on
#      a pipe), says `ready`, and waits for `go`. Nothing 9p is mounted yet, so the host may save a
#      snapshot of the VM right here (QEMU refuses to migrate once a 9p share is mounted). PID 1 itself
#      ignores SIGCHLD (the kernel reaps orphans at once) and waits for the hand-over;
#   4. on `go`: build the root (the host's / read-only over 9p under a tmpfs overlay, with the guest's
#      own /proc, /sys, /dev, /tmp, /run) and mount the exchange dir in it, all with one `mount -a`;
#      pivot_root the runner into it (or, with no copy of the shell or one that did not start, start the
#      runner in it now); read the per-VM settings the host wrote there (boot.env) and apply them (exposed
#      host paths, the shared dir, a modules dir, the host name, network cards); hand over to the root as
#      an initramfs does (PID 1 chroots into it, the root moves onto /: see the end of this file); say
#      `up`. When the runner already runs and the VM asks for none of those settings, nothing here forks:
#      the helpers were started before `ready`, and PID 1 only execs;
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
# the network cards (network.sh) and the devices' drivers (coldplug.sh). Sourcing them defines functions and costs no process.
# shellcheck source=src/guest/root.sh
. /etc/vm-exec/root.sh
# shellcheck source=src/guest/network.sh
. /etc/vm-exec/network.sh
# shellcheck source=src/guest/coldplug.sh
. /etc/vm-exec/coldplug.sh

# Before the snapshot point every process counts: under emulation each costs a few ms, and a cold start
# pays for all of them before its first result. So what a builtin can do is done by one (echo into /proc
# and /sys), what the initramfs can carry ready-made is carried (the mount points, the named pipes in
# /pipes, the device nodes, an executable /bin/vmx-modprobe to fill in), and each program that must run
# does all its work at once: one mount, one modprobe, one cp, one mkdir.

# The mounts the init needs, with one process: /proc, /sys, /dev, the writable layer (/rw: the overlay's
# upper dir, the guest's /run), the cgroup2 tree (see the slots below) and, when the initramfs carries a
# copy of the host's shell, the stage as a mount of its own (pivot_root needs one) with busybox inside it.
# favordynmods makes moving a process into a cgroup cheap (no RCU grace period; kernel 6.0+): an older
# kernel refuses it, and its cgroup2 is mounted without.
echo "proc /proc proc defaults 0 0
sysfs /sys sysfs defaults 0 0
devtmpfs /dev devtmpfs defaults 0 0
rw /rw tmpfs mode=755 0 0
cgroup2 $CG cgroup2 favordynmods 0 0" >/etc/vm-exec/fstab
[ -x /stage/.vmx/sh ] && echo "/stage /stage none bind 0 0
/bin/busybox /stage/.vmx/busybox none bind 0 0" >>/etc/vm-exec/fstab
mount -a -T /etc/vm-exec/fstab
[ -e "$CG/cgroup.procs" ] || mount -t cgroup2 cgroup2 "$CG"

# The virtio, 9p and overlay modules (listed in /etc/vm-exec/modules, dependencies first), with one
# modprobe: the initramfs carries a modules.dep for them under this kernel's release. Most of the time
# here is the kernel's (checking each module's signature, linking it): one process instead of one insmod
# each saves the rest. A kernel of another release than the one the initramfs was packed for (or a failed
# modprobe) gets them one by one.
read -r release </proc/sys/kernel/osrelease
modules=
while read -r module; do modules="$modules ${module%.ko}"; done </etc/vm-exec/modules
# Split on purpose: one module name a word.
# shellcheck disable=SC2086
if [ -z "$modules" ] || ! [ -e "/lib/modules/$release/modules.dep" ] || ! modprobe -a $modules; then
	while read -r module; do
		[ -e "/sys/module/${module%.ko}" ] || insmod "/lib/modules/$module" || log "insmod $module failed"
	done </etc/vm-exec/modules
fi

# The boot is quiet (loglevel=1 on the command line: printing costs time under emulation); from here on the
# console shows warnings and worse too (console_loglevel 5), so that a lockup report, a BUG or a WARNING
# comes with its "RIP:" line and call trace, for the host to quote when the guest stops answering.
echo 5 >/proc/sys/kernel/printk

# The kernel loads modules on demand (ip link add … type veth, losetup, mount -t …) by running
# /proc/sys/kernel/modprobe in PID 1's root. After "go" PID 1 hands over to the guest's root (see the end
# of this file), so that is the root's own /sbin/modprobe, which sees every host module. The coldplug and
# hotplug run on this side (in the initramfs) and reach that modprobe through PID 1's root; the initramfs
# carries /bin/vmx-modprobe empty and executable: writing it needs no chmod.
printf '#!/bin/sh\nexec /bin/chroot /proc/1/root /sbin/modprobe "$@"\n' >/bin/vmx-modprobe
echo /sbin/modprobe >/proc/sys/kernel/modprobe

# Everything that needs no 9p share is done before the snapshot point, so restored VMs skip it:
# the host name, loopback, the writable layer, the guest's /run, the pipes to the runner, the runner
# itself when it can start here (below), and the table of every mount the root needs. After "go" one
# process mounts them all: each process costs under emulation, and after a restore every code path
# runs for the first time. The host name and loopback's IFF_UP flag are written where the kernel shows
# them (`hostname vm-exec` and `ip link set lo up` without a process each; the kernel gives lo its
# 127.0.0.1 and ::1 as it comes up).
echo vm-exec >/proc/sys/kernel/hostname
read -r lo_flags </sys/class/net/lo/flags
echo $((lo_flags | 1)) >/sys/class/net/lo/flags
# Each exec runs in a cgroup of its own, so that a timeout can kill its whole process tree at once
# (cgroup.kill). The agent hands out numbered slots (vmx-N) and reuses one once its processes are all
# gone: creating a cgroup per exec would cost a process each time. The guest's /sys/fs/cgroup is this mount.
# What an exec starts must not starve the agent (a fork bomb, a runaway loop): each slot is its own CPU
# group, so all of an exec's processes together weigh as much as the agent, and it may hold at most one
# process per 256 KiB of guest memory (a fork bomb then fails to fork instead of filling the kernel).
echo '+cpu +pids' >"$CG/cgroup.subtree_control" 2>/dev/null || log "no cpu or pids cgroup controller: execs are not contained"
# In the same mkdir: the overlay's upper dir holds the mount points the root needs (any root directory
# boots, also one without /run or /proc: they are made here, never on the host) and the dirs of the
# fresh files below; /dev/mqueue is the mount point of mqueue in the one devtmpfs.
mkdir -p /rw/root/work /rw/run/vm-exec/xchg /rw/run/vm-exec/stage "$CG/vmx-1" "$CG/vmx-2" "$CG/vmx-3" "$CG/vmx-4" \
	/rw/root/upper/proc /rw/root/upper/sys /rw/root/upper/dev /rw/root/upper/tmp /rw/root/upper/run \
	/rw/root/upper/mnt /rw/root/upper/root /rw/root/upper/etc /rw/root/upper/var/cache/ldconfig /dev/mqueue
# What the guest makes fresh instead of showing the host's (the same for every host user, see
# docs/api.md#what-the-guest-sees): a host user other than root cannot read these, so over 9p not even
# the guest's root could, and useradd, passwd or ldconfig would fail. Files in the upper layer hide
# the host's without reading them; the account files are filled after "go" (root.sh), the home and
# ldconfig's cache are tmpfs mounts of the root's table. Made with builtins, mode 0600: no process.
umask 077
for f in shadow shadow- gshadow gshadow-; do : >"/rw/root/upper/etc/$f"; done
umask 022
# The mount point of the busybox PID 1 runs after the hand-over (see its end).
: >/rw/run/vm-exec/busybox
# The file systems a Linux system mounts, each where this kernel has it (debugfs, tracefs, configfs,
# securityfs, bpf, mqueue): read from /proc/filesystems with builtins, mounted with the root after "go".
kernel_fs=
while read -r a b; do
	case "${b:-$a}" in debugfs | tracefs | configfs | securityfs | bpf | mqueue) kernel_fs="$kernel_fs ${b:-$a}" ;; esac
done </proc/filesystems
# Into the one devtmpfs every later /dev mount shows (never over a node the kernel made itself), with one
# cp: the device nodes whose first open loads their module (/dev/loop-control, /dev/net/tun, /dev/fuse, …),
# as systemd creates them from modules.devname on a real system; the pts and shm mount points; and
# vmx-control, the control line: the second serial port ttyS1 (x86) or the virtio console hvc0 (aarch64's
# virt machine has one PL011 only), which the runner writes to as well. Both are ttys: several processes
# may have them open (a virtio-serial port, by contrast, opens only once); and the links every Linux
# system has and devtmpfs does not make: /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr (bash's process
# substitution, `>/dev/stderr`), and /dev/core where the kernel has /proc/kcore.
dev_extra=
[ -e /proc/kcore ] && dev_extra=/etc/vm-exec/dev-kcore/core
# Split on purpose: empty or one path.
# shellcheck disable=SC2086
cp -an /etc/vm-exec/dev/* $dev_extra /dev/
read -r _ mem_kib _ </proc/meminfo
pids_max=$((mem_kib / 256))
limit_slot() { echo "$pids_max" >"$CG/vmx-$1/pids.max" 2>/dev/null; }
limit_slot 1; limit_slot 2; limit_slot 3; limit_slot 4
slots=4
free='1 2 3 4'
busy=
new_slot() {
	slots=$((slots + 1))
	mkdir "$CG/vmx-$slots" && limit_slot "$slots" && free="$free $slots"
}

# The runner: the host's own shell ($SH), started once and kept, whose root is the guest's root; it
# waits for exec ids and runs the execs (see runner.sh). Its program is runner.sh without the lines that
# are only a comment, so that its command line (what `ps` shows in the guest) is the program alone: the
# initramfs carries it so (/etc/vm-exec/runner), read whole by a builtin (busybox ash's read -d).
# shellcheck disable=SC3045
IFS= read -r -d '' RUNNER </etc/vm-exec/runner

runner() {
	"$@" </dev/null >/dev/console 2>&1 3>&-
	# An early runner that ended before it started is replaced by PID 1 (which kills this loop).
	{ echo exited >&5; } 2>/dev/null
	exec 5>&-
	while sleep 1; do
		log "the runner shell exited; restarting it"
		env -i chroot /proc/1/root "$SH" -c "$RUNNER" "$SH" </dev/null >/dev/console 2>&1 3>&-
	done
}

# The OOM killer must pick a runaway script, never the machinery: PID 1, the agent and the runner are
# exempt (-1000, inherited by them), and each exec resets itself to 0 above.
echo -1000 >/proc/self/oom_score_adj
# The pipe from the agent to the runner, opened by PID 1 so that both inherit it, the one on which the
# runner says it has started, and each slot's own (all carried by the initramfs in /pipes).
exec 4<>/pipes/runs 5<>/pipes/started 6<>/pipes/slot1 7<>/pipes/slot2 8<>/pipes/slot3 9<>/pipes/slot4

# Starting the host's dynamically linked shell costs ~250 ms under emulation (libc over 9p, then its
# relocation), so when the initramfs carries a copy of it (stage/.vmx: the shell, its loader and its
# libraries, byte for byte the host's), the runner starts here, before the snapshot point, with the
# stage as its root. After "go" the guest's root is mounted on stage/.root and pivot_root makes it the
# root of the runner (of every process whose root is the stage), which then sees the host's / as its
# own, exactly as if it had been started there.
if [ -x /stage/.vmx/sh ]; then
	# The stage and busybox inside it are bind mounts already (the fstab above).
	R0=$R/.root
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

exec 3<>/dev/vmx-control
stty -F /dev/vmx-control raw -echo

# --- Kernel log delivery (issue 22; src/kernel-log/ is the host's side) ---
# Every record of the kernel log reaches the host, whatever the console loglevel: as the file xchg/kmsg,
# a plain host file through the exchange dir's 9p share, which the host follows. Both processes start here,
# before the snapshot point, so that a restored VM (a snapshot, a warm pool VM) forks nothing for it:
# - a loop reads /dev/kmsg (one record per read, in the kernel's format, with its sequence number) into a
#   pipe; until `go` the pipe (64 KiB) and the kernel's ring buffer hold the records. A read fails (EPIPE)
#   when the ring buffer wrapped past the reader, and cat ends: the loop starts it again, and it re-reads
#   from the oldest record left (the host drops the records it has by seq; a gap in seq counts the lost);
# - the other waits until the exchange dir is mounted and the root handed over (the agent then writes the
#   exchange dir's path as this side sees it, through PID 1's root, to /pipes/kmsggo), then copies the pipe
#   into xchg/kmsg.
# - the taint reader: for each line `up` or `exec ID` on /dev/vmx-taint (a pipe the initramfs carries into
#   /dev, where the runner sees it too), it logs `vm-exec: LINE tainted=N` with /proc/sys/kernel/tainted.
#   No shell can read that file itself: a sysctl file gives nothing at an offset past 0, and ash's and
#   dash's `read` read one byte per call (so 12288 reads as 1); awk reads it whole, and stays resident.
# Writes to /dev/kmsg from user space (the exec markers of runner.sh and the agent) are rate-limited by
# default (10 per 5 s): a marker must never be dropped.
echo on >/proc/sys/kernel/printk_devkmsg
while [ -c /dev/kmsg ]; do cat /dev/kmsg; done 1<>/pipes/kmsg </dev/null 2>/dev/null 3>&- 4>&- 6>&- 7>&- 8>&- 9>&- &
sh -c 'read -r dir </pipes/kmsggo && exec cat /pipes/kmsg >>"$dir/kmsg"' </dev/null 2>/dev/null 3>&- 4>&- 6>&- 7>&- 8>&- 9>&- &
# shellcheck disable=SC2016
awk -v t=/proc/sys/kernel/tainted '/^(up|exec [a-z0-9]+)$/ { n = ""; getline n <t; close(t); printf "<7>vm-exec: %s tainted=%s\n", $0, n >"/dev/kmsg"; close("/dev/kmsg") }' 0<>/dev/vmx-taint >/dev/null 2>&1 3>&- 4>&- 6>&- 7>&- 8>&- 9>&- &
# --- end of kernel log delivery ---

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
	# Kernel log delivery: the exchange dir is mounted and the root handed over: from this side (the initramfs)
	# the guest's root is PID 1's. Opened read-write so that the write cannot block even if the copier is gone.
	echo /proc/1/root/run/vm-exec/xchg 1<>/pipes/kmsggo
	say up
	# Kernel log delivery: the taint a VM is handed out with, logged by the taint reader (read-write: never blocks).
	echo up 1<>/dev/vmx-taint
	while read -r verb id <&3; do
		case "$verb:$id" in
		run:*[!a-z0-9]*|run:|kill:*[!a-z0-9]*|kill:|reap:*[!a-z0-9]*|reap:|ping:*[!a-z0-9]*|ping:) ;;
		# The host's liveness check while it waits on the guest: a builtin, no process.
		ping:*) say "pong $id" ;;
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
# The hand-over, as an initramfs hands over to the real root (switch_root): once the agent has built the
# root (mounted on /stage, the runner pivoted into it), PID 1 enters it with `chroot .`, and the agent's
# mover then moves it onto / (handover in root.sh). The root is then the root of the mount namespace:
# the kernel grants user namespaces only to a process whose root is that (not a chroot), and runs its
# own helpers (the firmware loader, core_pattern pipes, modprobe) in the root of PID 1, whose fs_struct
# the kernel's threads share: so it must be PID 1 itself that changes root, not a child of it. What PID 1
# runs from then on is the initramfs's busybox, bound into the root at /run/vm-exec/busybox; it tells the
# mover to go on fd 5 (a pipe the mover waits on since before "ready": after a restore nothing forks).
# Without that busybox (its mount failed) PID 1 stays here and only the move happens.
# A child of PID 1 that ends (the early runner, when its copy of the shell could not start) may interrupt
# the open of the pipe: read again until the word arrives.
until read -r go </pipes/handover 2>/dev/null && [ "$go" = go ]; do usleep 10000; done
cd /stage || log "cannot enter the guest root"
exec 5>/pipes/move
# shellcheck disable=SC2016
[ -x run/vm-exec/busybox ] && exec chroot . /run/vm-exec/busybox sh -c 'echo go >&5; exec 5>&-; trap "" CHLD; while :; do /run/vm-exec/busybox sleep 86400; done'
log "no busybox in the guest root: the kernel's helpers stay in the initramfs"
echo go >&5
exec 5>&-
while :; do sleep 86400; done
