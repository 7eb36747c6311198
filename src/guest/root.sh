# vm-exec's guest init, the part that builds the guest's root: sourced by init.sh (PID 1), whose variables
# it uses (R, R0, X, SH, NINEP, mounter…) and whose functions it calls (log, die, runner, configure_network).
# shellcheck shell=sh
# shellcheck disable=SC2154

# The table of every mount the root needs: the host's / (it has /proc, /sys, /dev, /tmp and /run to mount
# on, made in the upper layer when the root has none), the overlay root, the guest's own /proc, /sys, /dev
# (its pts and shm dirs exist: devtmpfs is one instance), /tmp, /run, cgroup2, the busybox PID 1 runs after
# the hand-over, the fresh home and ldconfig cache, the kernel's file systems, and last the exchange dir.
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
/bin/busybox $R0/run/vm-exec/busybox none bind 0 0
home $R0/root tmpfs mode=700 0 0
ldconfig $R0/var/cache/ldconfig tmpfs mode=700 0 0$kernel_fs_lines
xchg $R0/run/vm-exec/xchg 9p $NINEP 0 0" >/pipes/fstab
}

# The lines of the file systems a Linux system mounts that this kernel has (kernel_fs, read by init.sh
# from /proc/filesystems), where systemd mounts them; debugfs, tracefs and bpf only for root, as there.
# Built into a variable before "ready" (start_root_helpers): a command substitution would fork.
make_kernel_fs_table() {
	kernel_fs_lines=
	for fs in $kernel_fs; do
		case $fs in
		debugfs) kernel_fs_lines="$kernel_fs_lines
debugfs $R0/sys/kernel/debug debugfs mode=700 0 0" ;;
		tracefs) kernel_fs_lines="$kernel_fs_lines
tracefs $R0/sys/kernel/tracing tracefs mode=700 0 0" ;;
		configfs) kernel_fs_lines="$kernel_fs_lines
configfs $R0/sys/kernel/config configfs defaults 0 0" ;;
		securityfs) kernel_fs_lines="$kernel_fs_lines
securityfs $R0/sys/kernel/security securityfs defaults 0 0" ;;
		bpf) kernel_fs_lines="$kernel_fs_lines
bpf $R0/sys/fs/bpf bpf mode=700 0 0" ;;
		mqueue) kernel_fs_lines="$kernel_fs_lines
mqueue $R0/dev/mqueue mqueue defaults 0 0" ;;
		esac
	done
}

# After a restore every code path runs for the first time, and under emulation the first fork and exec
# cost ~0.1 s: building the root after "go" forks and execs nothing. The processes that mount, pivot and
# unmount are started before the snapshot point, each blocked on a pipe, and are children of the agent
# so that it can wait for them:
# - mount -a, already running, blocks opening its table (a pipe) until the agent writes it;
# - a busybox shell in the stage runs pivot_root, and one in this root umount, as their last command
#   (which busybox runs in its own process, without a fork) once the agent writes to their pipe.
start_root_helpers() {
	make_kernel_fs_table
	mount -a -T /pipes/fstab 3>&- 4>&- 6>&- 7>&- 8>&- 9>&- &
	mounter=$!
	start_accounts_helper
	# The mover (see handover): it goes on once PID 1 is in the root, and moves the root onto /.
	sh -c 'read -r go </pipes/move; cd /stage && mount --move . /' 3>&- 4>&- 6>&- 7>&- 8>&- 9>&- &
	mover=$!
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
	echo go >/pipes/accounts
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
	wait "$accounts" || log "cannot fill the guest's account files (/etc/shadow, /etc/gshadow)"
	handover
	coldplug
}

# The fresh account files (made empty in the upper layer by init.sh) get a line for every account and
# group of the root's /etc/passwd and /etc/group, with a locked password ('*', '!'), as a new system has:
# chpasswd, passwd, usermod and su then find the accounts they expect; the backups are the same. One awk,
# forked before "ready" and told to go once the root is mounted (a shell's read loop reads a byte at a
# time: over 9p that cost 0.3 s), runs while the agent goes on. It reads the root's share (/host) and
# writes the upper layer's files, which exist already (only their content changes, no copy-up): both
# paths stay put while the root moves. The agent waits for it before the hand-over.
start_accounts_helper() {
	# shellcheck disable=SC2016
	sh -c 'read -r go </pipes/accounts && exec awk -F: -v d=/rw/root/upper/etc '"'"'
		FNR == NR { print $1 ":*::0:99999:7:::" >(d "/shadow"); print $1 ":*::0:99999:7:::" >(d "/shadow-"); next }
		{ print $1 ":!::" $4 >(d "/gshadow"); print $1 ":!::" $4 >(d "/gshadow-") }'"'"' /host/etc/passwd /host/etc/group' \
		3>&- 4>&- 6>&- 7>&- 8>&- 9>&- 2>/dev/null &
	accounts=$!
}

# The hand-over (init.sh's end has the why): PID 1, told so, enters the root mounted on /stage
# (`cd /stage && exec chroot .`, with the initramfs's busybox bound in the root) and tells the mover,
# which moves the root onto /. From here on this side (the agent, its coldplug and hotplug) sees the
# initramfs at / and the guest's root as /proc/1/root. No process starts here: PID 1 only execs, and the
# mover was forked before "ready".
handover() {
	echo go >/pipes/handover
	wait "$mover" || die "cannot move the guest root onto / (the hand-over to it): $(cat /proc/mounts)"
}
