/**
 * The guest's PID 1, run by the initramfs's static busybox. It is a TypeScript string so that it ships
 * inside `dist/` with no asset copying; `packInitramfs` writes it to `/init`.
 *
 * Life of the guest:
 *   1. mount /proc, /sys, /dev; load the virtio/9p/overlay modules (listed in /etc/vm-exec/modules,
 *      dependencies first);
 *   2. open the control port ttyS1 and keep it open (bytes that arrive while nobody has the tty open
 *      are dropped), say `ready`, and wait for `go`. Nothing 9p is mounted yet, so the host may save a
 *      snapshot of the VM right here (QEMU refuses to migrate once a 9p share is mounted);
 *   3. on `go`: mount the exchange dir, read the per-VM settings the host wrote there (boot.env), build
 *      the root: the host's / read-only over 9p under a tmpfs overlay, with the guest's own /proc, /sys,
 *      /dev, /tmp, /run; say `up`;
 *   4. agent loop: `run ID` runs xchg/ID/run.sh chrooted in that root, in a cgroup of its own (so `kill ID`
 *      can kill its whole process tree with cgroup.kill), and answers `done ID STATUS`.
 */
export const GUEST_INIT_SCRIPT = String.raw`#!/bin/sh
export PATH=/bin
R=/newroot
X=$R/run/vm-exec/xchg
CG=$R/sys/fs/cgroup
NINEP=trans=virtio,version=9p2000.L,msize=512000

say() { echo "$*" >&3; }
log() { echo "vm-exec-init: $*" >/dev/console; }
die() { log "$*"; say "error $*"; sync; reboot -f; sleep 1000; }

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
# systemd creates them from modules.devname on a real system. Made here, before the snapshot point, in
# the one devtmpfs every later /dev mount shows.
while read -r module name node; do
	case "$module" in '#'*|'') continue ;; esac
	case "$node" in b*) kind=b ;; *) kind=c ;; esac
	saved_ifs=$IFS; IFS=':bc'; set -- $node; IFS=$saved_ifs
	case "$name" in */*) mkdir -p "/dev/$(dirname "$name")" ;; esac
	[ -e "/dev/$name" ] || mknod -m 600 "/dev/$name" "$kind" "$2" "$3" 2>/dev/null
done </etc/vm-exec/modules.devname

# Everything that needs no 9p share is done before the snapshot point, so restored VMs skip it:
# the host name, loopback, the writable layer, and the table of the guest's own mounts.
hostname vm-exec
ip link set lo up 2>/dev/null
mkdir -p /xchg /host /rw /dev/pts /dev/shm "$R"
mount -t tmpfs -o mode=755 rw /rw
mkdir -p /rw/root/upper /rw/root/work
printf '%s
' 	"proc $R/proc proc defaults 0 0" 	"sysfs $R/sys sysfs defaults 0 0" 	"devtmpfs $R/dev devtmpfs defaults 0 0" 	"devpts $R/dev/pts devpts gid=5,mode=620,ptmxmode=666 0 0" 	"shm $R/dev/shm tmpfs mode=1777 0 0" 	"tmp $R/tmp tmpfs mode=1777 0 0" 	"run $R/run tmpfs mode=755 0 0" 	"cgroup2 $R/sys/fs/cgroup cgroup2 defaults 0 0" >/etc/vm-exec/fstab

exec 3<>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo
say ready
while read -r verb rest <&3; do
	[ "$verb" = go ] && break
done

mount -t 9p -o "$NINEP" xchg /xchg || die "cannot mount the exchange directory"
. /xchg/boot.env || die "cannot read boot.env"
mount -t 9p -o "$NINEP,ro" hostroot /host || die "cannot mount the host root"
mount -t overlay -o lowerdir=/host,upperdir=/rw/root/upper,workdir=/rw/root/work overlay "$R" || die "cannot mount the overlay root"
mkdir -p "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/run"
# One process for the guest's own /proc, /sys, /dev (its pts and shm dirs exist: devtmpfs is one
# instance), /tmp, /run and cgroup2: every fork costs under emulation.
mount -a -T /etc/vm-exec/fstab || log "some of the guest's own mounts failed: $(cat /proc/mounts)"
mkdir -p "$X"
# Start the runner as soon as its root exists: loading the host's shell (dynamic linking over 9p) then
# overlaps with the rest of the set-up instead of delaying the first exec.
mkfifo "$R/run/vm-exec/runs"

# The runner: the host's own /bin/sh, chrooted in the new root, started once and kept. For each exec it
# only forks (an exec of a dynamically linked shell costs ~60 ms under software emulation; a fork a few):
# the forked subshell joins the exec's cgroup, then sources xchg/ID/run.sh, which sets up stdio, env and
# cwd and sources (or, with a #! line, execs) the script. Its parent reports "done ID STATUS".
# Each exec is started through a subshell that exits at once, so it is an orphan reaped by PID 1 and no
# SIGCHLD interrupts the runner's read (busybox's and dash's read may lose bytes to an interrupted read).
RUNNER='exec 4<>/run/vm-exec/runs
while read -r vmx_id <&4; do
	( {
		( read -r vmx_pid vmx_rest </proc/self/stat; echo "$vmx_pid" >"/sys/fs/cgroup/vmx-$vmx_id/cgroup.procs" 2>/dev/null
		  echo 0 >/proc/self/oom_score_adj; unset vmx_pid vmx_rest; exec 4<&-; . "/run/vm-exec/xchg/$vmx_id/run.sh" )
		echo "done $vmx_id $?" >/dev/ttyS1
	} & )
done'

runner() {
	while :; do
		env -i /bin/chroot "$R" /bin/sh -c "$RUNNER" </dev/null >/dev/console 2>&1
		log "the runner shell exited; restarting it"
		sleep 1
	done
}

# The OOM killer must pick a runaway script, never the machinery: PID 1, the agent and the runner are
# exempt (-1000, inherited by them), and each exec resets itself to 0 above.
echo -1000 >/proc/self/oom_score_adj
runner &
mount --move /xchg "$X" || die "cannot move the exchange directory"
# Host paths hidden by the guest's own /tmp or /run (the working directory, a modules dir):
# give them their own overlay so they are visible, writable, and still untouched on the host.
n=0
for p in $VMX_EXPOSE; do
	n=$((n + 1))
	mkdir -p "$R$p" "/rw/x$n/upper" "/rw/x$n/work"
	mount -t overlay -o "lowerdir=/host$p,upperdir=/rw/x$n/upper,workdir=/rw/x$n/work" overlay "$R$p" || log "cannot expose $p"
done
# After the exposed paths: a working directory of exactly /tmp must not cover /tmp/shared.
if [ "$VMX_SHARED" = 1 ]; then
	mkdir -p "$R/tmp/shared"
	mount -t 9p -o "$NINEP" shared "$R/tmp/shared" || die "cannot mount the shared directory"
fi
if [ -n "$VMX_MODULES" ]; then
	mkdir -p "$R/lib/modules/$(uname -r)"
	mount --bind "/host$VMX_MODULES" "$R/lib/modules/$(uname -r)" || log "cannot bind the modules dir $VMX_MODULES"
fi
[ "$VMX_HOSTNAME" = vm-exec ] || hostname "$VMX_HOSTNAME"

# Network cards exist only when asked for. Their drivers load here, after "go", so a VM without one pays
# nothing, and every per-VM setting comes from boot.env: a snapshot taken at "ready" suits every VM.
# A card is found by the fixed MAC QEMU gave it (the same in every VM, so the device set is too).
nic() {
	for t in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		for d in /sys/class/net/*; do
			[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { basename "$d"; return 0; }
		done
		usleep 100000
	done
	return 1
}
if [ -n "$VMX_NAT_NIC$VMX_LAN_NIC" ]; then
	while read -r module; do
		insmod "/lib/modules/$module" || log "insmod $module failed"
	done </etc/vm-exec/net-modules
fi
if [ -n "$VMX_NAT_NIC" ]; then
	# As the seed does it: QEMU's user-mode network, the host (its loopback) is 10.0.2.2, DNS is 10.0.2.3.
	i=$(nic "$VMX_NAT_NIC") || die "the network card $VMX_NAT_NIC did not appear (is virtio_net in the initramfs?)"
	{ ip link set "$i" up && ip addr add 10.0.2.15/24 dev "$i" && ip route add default via 10.0.2.2 dev "$i"; } || die "cannot configure the network card $i"
	rm -f "$R/etc/hosts" "$R/etc/resolv.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.2.15\t%s\n' "$VMX_HOSTNAME" >"$R/etc/hosts"
	[ -n "$VMX_HOST_NAMES" ] && printf '10.0.2.2\t%s\n' "$VMX_HOST_NAMES" >>"$R/etc/hosts"
	echo "nameserver 10.0.2.3" >"$R/etc/resolv.conf"
fi
if [ -n "$VMX_LAN_NIC" ]; then
	i=$(nic "$VMX_LAN_NIC") || die "the LAN card $VMX_LAN_NIC did not appear (is virtio_net in the initramfs?)"
	{ ip link set "$i" address "$VMX_LAN_MAC" && ip link set "$i" up && ip addr add "$VMX_LAN_ADDR" dev "$i"; } || die "cannot configure the LAN card $i as $VMX_LAN_ADDR"
fi

# The agent reads the control line. Its only children (mkdir, a reap retry) end before it reads again,
# so no SIGCHLD interrupts its read.
agent() {
	exec 4<>"$R/run/vm-exec/runs"
	say up
	while read -r verb id <&3; do
		case "$verb" in
		run) mkdir "$CG/vmx-$id" 2>/dev/null; echo "$id" >&4 ;;
		kill) echo 1 >"$CG/vmx-$id/cgroup.kill" 2>/dev/null ;;
		# A killed tree may take a moment to leave its cgroup: retry once, off the agent's path.
		reap) rmdir "$CG/vmx-$id" 2>/dev/null || ( (sleep 1; rmdir "$CG/vmx-$id" 2>/dev/null) & ) ;;
		reboot) sync; reboot -f ;;
		esac
	done
	die "control port closed"
}

agent &
# PID 1 adopts every orphaned exec. With SIGCHLD ignored the kernel reaps them at once (no zombies),
# so all PID 1 has left to do is to stay alive.
trap '' CHLD
while :; do sleep 86400; done
`;
