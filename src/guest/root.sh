# vm-exec's guest init, the part that builds the guest's root: sourced by init.sh (PID 1), whose variables
# it uses (R, R0, X, SH, NINEP, mounter…) and whose functions it calls (log, die, runner, configure_network).
# shellcheck shell=sh
# shellcheck disable=SC2154

# The table of every mount the root needs: the host's / (it has /proc, /sys, /dev, /tmp and /run to mount
# on), the overlay root, the guest's own /proc, /sys, /dev (its pts and shm dirs exist: devtmpfs is one
# instance), /tmp, /run, cgroup2, and last the exchange dir.
write_fstab() {
	echo "hostroot /host 9p $NINEP,ro 0 0
overlay $R0 overlay lowerdir=/host,upperdir=/rw/root/upper,workdir=/rw/root/work 0 0
proc $R0/proc proc defaults 0 0
sysfs $R0/sys sysfs defaults 0 0
devtmpfs $R0/dev devtmpfs defaults 0 0
devpts $R0/dev/pts devpts gid=5,mode=620,ptmxmode=666 0 0
shm $R0/dev/shm tmpfs mode=1777 0 0
tmp $R0/tmp tmpfs mode=1777 0 0
/rw/run $R0/run none bind 0 0
/sys/fs/cgroup $R0/sys/fs/cgroup none bind 0 0
xchg $R0/run/vm-exec/xchg 9p $NINEP 0 0" >/pipes/fstab
}

# After a restore every code path runs for the first time, and under emulation the first fork and exec
# cost ~0.1 s: building the root after "go" forks and execs nothing. The processes that mount, pivot and
# unmount are started before the snapshot point, each blocked on a pipe, and are children of the agent
# so that it can wait for them:
# - mount -a, already running, blocks opening its table (a pipe) until the agent writes it;
# - a busybox shell in the stage runs pivot_root, and one in this root umount, as their last command
#   (which busybox runs in its own process, without a fork) once the agent writes to their pipe.
start_root_helpers() {
	mount -a -T /pipes/fstab 3>&- 4>&- 6>&- 7>&- 8>&- 9>&- &
	mounter=$!
	[ "$R0" = "$R" ] && return
	chroot /stage /.vmx/busybox sh -c 'read -r go </.pivot && pivot_root /.root /.root/run/vm-exec/stage' 3>&- 4>&- 6>&- 7>&- 8>&- 9>&- &
	pivoter=$!
	sh -c 'read -r go </pipes/unstage && umount -l /stage/run/vm-exec/stage' 3>&- 4>&- 6>&- 7>&- 8>&- 9>&- &
	unstager=$!
}

# On "go": the root, then the per-VM settings the host wrote into the exchange dir (boot.env). Checked with
# shell tests, which cost no process.
build_root() {
	write_fstab
	wait "$mounter"
	[ -x "$R0$SH" ] || die "cannot mount the host root, or $SH is not in it: $(cat /proc/mounts)"
	[ -f "$R0/run/vm-exec/xchg/boot.env" ] || die "cannot mount the exchange directory: $(cat /proc/mounts)"
	if [ "$R0" != "$R" ]; then
		# The root moves to $R (where the stage was); the stage, to the root's /run/vm-exec/stage, where it
		# is unmounted: the runner keeps its files open, nothing else needs them.
		echo go >/stage/.pivot
		wait "$pivoter" || die "cannot move the runner shell into the guest root (VM_EXEC_GUEST_SHELL=none starts it there instead): $(cat /proc/mounts)"
		echo go >/pipes/unstage
		wait "$unstager"
	else
		runner env -i chroot "$R" "$SH" -c "$RUNNER" "$SH" &
	fi
	# boot.env is written by the host for each VM (src/protocol/exec-files.ts): nothing to follow here.
	# shellcheck source=/dev/null
	. "$X/boot.env" || die "cannot read boot.env"
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
	# A root without the kernel's modules: they come as a share of their own.
	if [ "$VMX_MODULES_SHARE" = 1 ]; then
		mkdir -p "$R/lib/modules/$(uname -r)"
		mount -t 9p -o "$NINEP,ro" modules "$R/lib/modules/$(uname -r)" || log "cannot mount the modules share"
	fi
	if [ -n "$VMX_MODULES" ]; then
		mkdir -p "$R/lib/modules/$(uname -r)"
		mount --bind "/host$VMX_MODULES" "$R/lib/modules/$(uname -r)" || log "cannot bind the modules dir $VMX_MODULES"
	fi
	# VMX_* come from boot.env.
	# shellcheck disable=SC2153
	[ "$VMX_HOSTNAME" = vm-exec ] || hostname "$VMX_HOSTNAME"
	[ -z "$VMX_NAT_NIC$VMX_LAN_NIC" ] || configure_network
	coldplug
}
