/**
 * The `vm-exec --help` text. Subcommands list themselves from the registry, so adding one is one entry there.
 */
import { EXIT_CODES } from '../exit-codes.js';

/** The options of a script run and of `vm-exec shell` (the same VM options), for both usages. */
export const RUN_OPTIONS_HELP = `Options (the seed launcher's):
  --quiet                 Print nothing but the script's output (and vm-exec's own errors)
  --initrd-console        Show the guest's boot console on stderr (otherwise it is silent)
  --shared=PATH           Mount the host directory PATH read-write at /tmp/shared in the VM
  -- ARGS…                Pass everything after -- verbatim to QEMU,
                          e.g. -- -drive file=disk.img,if=virtio,format=raw

More options:
  --kernel=PATH           Kernel image to boot (default: the running kernel, see vm-exec doctor)
  --modules=DIR           The kernel's modules directory (default: /lib/modules/<release>)
  --arch=x86_64|aarch64   Guest architecture (default: the host's); another arch needs --root
  --root=DIR              Use DIR as the guest's read-only root instead of the host's /
  --memory=SIZE           Guest memory, e.g. 512M or 2G (default 256M)
  --cpus=N                Virtual CPUs (default 1)
  --accel=auto|kvm|tcg    Accelerator (default auto: KVM when a probe VM boots with it, else TCG)
  --timeout=DURATION      Kill the script after 30 (seconds), 500ms, 2m, … and exit ${EXIT_CODES.timeout}
  --env NAME=VALUE        Set an environment variable for the script (repeatable; NAME alone copies the host's)
  --network               Attach a user-mode NIC: eth0 10.0.2.15/24, the host reachable as 10.0.2.2
  --lan=NAME[:ADDRESS]    Join the private LAN NAME (shared with the VMs this process starts)
  --disk=PATH[:SIZE][,ro] Attach a disk image as /dev/vda, /dev/vdb, … (repeatable); SIZE (64M, 2G)
                          creates a missing file (qcow2 for *.qcow2, else sparse raw); ,ro: read-only
  --gdb                   Start QEMU's gdb stub (kernel booted with nokaslr) and print the gdb command
  --kernel-reports=fail|report|ignore
                          What a guest kernel report during the script (WARNING, BUG, oops, lockup, a new
                          W/D/L taint) does: report (default) prints a notice on stderr, fail also exits ${EXIT_CODES.kernelReport}
  --launcher=COMMAND      Run the script with an external launcher with the same interface instead
                          (e.g. a Nix build of …config.system.build.vmExec)
  -h, --help              Show this help
  --version               Show vm-exec's version`;

export function formatUsage(subcommands: readonly { name: string; summary: string }[]): string {
	const width = Math.max(0, ...subcommands.map((command) => command.name.length));
	return `Usage: vm-exec [options] "script" [-- ...extra QEMU options]
       vm-exec <command> [options]

Boot a lightweight QEMU VM running this host's kernel, with the host's file system read-only under a
throw-away overlay, run the script in it with bash (as root), and exit with the script's exit status.
The script's stdout and stderr are passed through byte for byte; stdin is passed to the script when it
is not a terminal (it is read to its end before the script starts).

${RUN_OPTIONS_HELP}

Commands:
${subcommands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Exit status: the script's own (0-255; 128+N if it was killed by signal N), or vm-exec's:
  ${EXIT_CODES.usage}   usage error (unknown option, missing script, bad value)
  ${EXIT_CODES.bootFailure}   the VM could not start (run vm-exec doctor)
  ${EXIT_CODES.crash}   the VM crashed while the script ran (kernel panic, QEMU died)
  ${EXIT_CODES.kernelReport}   --kernel-reports=fail: the guest kernel reported a problem while the script ran
  ${EXIT_CODES.unresponsive}   the guest stopped answering while the script ran (a frozen kernel)
  ${EXIT_CODES.timeout}  --timeout expired
  130/143 vm-exec was interrupted (SIGINT/SIGTERM); the VM was stopped
`;
}

/** What `vm-exec shell --help` prints. */
export const SHELL_USAGE = `Usage: vm-exec shell [options] [-- ...extra QEMU options]

Boot a fresh VM (as for a script run, with the same options) and open an interactive login shell in it on
a real terminal: line editing, job control, ^C to the guest's foreground job, the window size followed.
\`exit N\` ends the shell and the VM, and vm-exec exits with N. \`vm-exec\` with no script on a terminal
does the same. Needs a terminal on stdin and stdout.
  --norc                  Start bash without your startup files (/etc/profile, ~/.bashrc, …): they run
                          under emulation in the VM, where a heavy ~/.bashrc (pyenv, nvm, …) can take many seconds

${RUN_OPTIONS_HELP}
`;
