# shellcheck shell=sh
# The runner: the program the host's own shell ($SH in init.sh: /bin/sh, or the `shell` option) runs,
# started once per VM and kept, whose root is the guest's root. init.sh starts it, with an empty
# environment and chrooted, as `SHELL -c "$RUNNER" "$SH"`: SHELL is the copy of $SH the initramfs carries
# (started in the stage, before the snapshot point) or $SH itself in the guest's root (after `go`), and
# RUNNER is this file's code lines: init.sh drops the lines that are only a comment (like this one),
# so the runner's command line (what `ps` shows in the guest) is its program alone. A comment must
# therefore sit on a line of its own, and the file has no blank lines (they would stay in it).
#
# Per exec it only forks (an exec of a dynamically linked shell costs ~60 ms under software emulation; a
# fork a few), and for most execs not even that on the exec's path:
# - Each of the four first cgroup slots has a loop that keeps one subshell forked ahead, waiting for an
#   exec id on the slot's own pipe (fds 6 to 9). Given one, it tells the loop the id (through the command
#   substitution's pipe), joins the slot's cgroup, and sources xchg/ID.sh (stdio, env, cwd, then the
#   script); the loop reports "done ID STATUS" and forks the next subshell while nothing waits for it.
# - Execs beyond four at once get a slot of their own and go through fd 4: a reader forked ahead takes
#   "ID SLOT", forks the exec's job and exits; the job runs the exec in a subshell and reports.
# Only a process with no child ever reads a pipe that an id can arrive on: a SIGCHLD interrupting a
# shell's read can lose bytes. Jobs are orphans that PID 1 reaps.
#
# Inherited from PID 1: fd 4 (the pipe of ids beyond the four slots), fd 5 (where the runner says it has
# started), fds 6 to 9 (the slots' pipes). The runner answers on /dev/vmx-control (ttyS1 or hvc0) itself, not through the agent.
#
# Tell PID 1 the runner is ready to read ids (it waits for this before the snapshot point).
{ echo started >&5; } 2>&-; exec 5>&-
vmx_slot_loop() {
	while :; do
		vmx_out=$( read -r vmx_id <&"$2" || exit 1
			echo "$vmx_id"
			echo 0 >"/sys/fs/cgroup/vmx-$1/cgroup.procs" 2>/dev/null
			echo 0 >/proc/self/oom_score_adj
			exec 4<&- 6<&- 7<&- 8<&- 9<&-
			unset vmx_out
			# Kernel log delivery: the exec's start as a kernel log record, so that the host charges what the
			# kernel logs from here on to this exec (a builtin write, no process).
			echo "<7>vm-exec: exec $vmx_id begin" >/dev/kmsg 2>/dev/null
			# The host writes the exec's wrapper: its path is only known at run time.
			# shellcheck disable=SC1090
			. "/run/vm-exec/xchg/$vmx_id.sh" )
		vmx_status=$?
		# Split on purpose: $3 becomes the exec id the subshell printed, or stays empty if its read failed.
		# shellcheck disable=SC2086
		set -- "$1" "$2" $vmx_out
		# Kernel log delivery: the exec's end, logged before `done` so that the host, given `done`, knows every
		# record of the exec is on its way; then the taint after it, which init.sh's taint reader logs (a
		# shell cannot read /proc/sys/kernel/tainted whole). Read-write opens of its pipe never block.
		[ -z "$3" ] || { echo "<7>vm-exec: exec $3 end" >/dev/kmsg; echo "exec $3" 1<>/dev/vmx-taint; } 2>/dev/null
		# A read that failed (no id) sleeps before the loop forks again; so does a failed report, harmlessly.
		# shellcheck disable=SC2015
		[ -n "$3" ] && echo "done $3 $vmx_status" >/dev/vmx-control || sleep 1
	done
}
vmx_slot_loop 1 6 & vmx_slot_loop 2 7 & vmx_slot_loop 3 8 & vmx_slot_loop 4 9 &
exec 6<&- 7<&- 8<&- 9<&-
while :; do
	( read -r vmx_id vmx_slot <&4 || exit 1
	  {
		# The host writes the exec's wrapper: its path is only known at run time.
		# shellcheck disable=SC1090
		( echo 0 >"/sys/fs/cgroup/vmx-$vmx_slot/cgroup.procs" 2>/dev/null
		  echo 0 >/proc/self/oom_score_adj; exec 4<&-
		  # Kernel log delivery: the exec's begin and end markers, as in the slot loop above.
		  echo "<7>vm-exec: exec $vmx_id begin" >/dev/kmsg 2>/dev/null
		  . "/run/vm-exec/xchg/$vmx_id.sh" )
		vmx_status=$?
		{ echo "<7>vm-exec: exec $vmx_id end" >/dev/kmsg; echo "exec $vmx_id" 1<>/dev/vmx-taint; } 2>/dev/null
		echo "done $vmx_id $vmx_status" >/dev/vmx-control
	  } & ) || sleep 1
done
