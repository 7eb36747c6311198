/**
 * What `startVm()` and `runInVm()` accept (documented here, for editors and the docs), and what the
 * gate (normalize-vm-options.ts) turns it into.
 */
import type { Arch } from '../arch/arch.js';
import type { DiskOptions, NormalizedDisk } from '../disks/options.js';
import type { NormalizedLan } from './lan-options.js';

export type Accel = 'auto' | 'kvm' | 'tcg';

/** Options of `startVm()` and `runInVm()`. */
export interface VmOptions {
	/**
	 * Kernel image to boot (a `vmlinuz`/bzImage or an ELF `vmlinux`).
	 * @default `$VM_EXEC_KERNEL`, `/boot/vmlinuz-$(uname -r)`, NixOS's `/run/booted-system/kernel`, then the newest `/boot/vmlinuz-*` whose modules are installed
	 */
	kernel?: string;
	/**
	 * The kernel's modules directory (the one holding `modules.dep`).
	 * @default `/lib/modules/<the kernel's release>` (or `$VM_EXEC_MODULES`)
	 */
	modules?: string;
	/**
	 * The guest's architecture: `'x86_64'` (qemu-system-x86_64) or `'aarch64'` (qemu-system-aarch64 -M virt).
	 * Another arch than the host's needs a `root` of that arch, and a kernel of it (found in the root's
	 * /boot, or passed as `kernel`). See docs/architectures.md.
	 * @default the host's
	 */
	arch?: Arch | 'amd64' | 'arm64';
	/**
	 * A directory the guest uses as its read-only lower root instead of the host's `/` (under the same tmpfs
	 * overlay): another distribution's tree, or an arm64 busybox tree for `arch: 'aarch64'`. Scripts run
	 * with its `/bin/sh` (or `shell`, a path in it), and `cwd` is a path in it.
	 * @default undefined (the host's `/`)
	 */
	root?: string;
	/**
	 * The shell that runs scripts in the guest: an absolute path on the host (the guest sees the host's
	 * files), e.g. `'/bin/bash'`. A resident instance of it sources each script, so its features and
	 * error messages are the ones scripts see; a script with a `#!` line is executed instead.
	 * @default '/bin/sh'
	 */
	shell?: string;
	/**
	 * Guest memory: a number of MiB or a string like `'512M'` / `'1G'`.
	 * @default '256M'
	 */
	memory?: number | string;
	/**
	 * Number of virtual CPUs.
	 * @default 1
	 */
	cpus?: number;
	/**
	 * Accelerator. `'auto'` uses KVM only when a probe VM boots with it in time (the verdict is cached), else TCG.
	 * @default 'auto'
	 */
	accel?: Accel;
	/**
	 * A host directory mounted read-write at `/tmp/shared` in the guest. `true` creates a fresh temporary
	 * directory (removed on close), exposed as `vm.sharedDir`.
	 * @default false
	 */
	shared?: string | boolean;
	/**
	 * Extra QEMU arguments, appended verbatim to the command line.
	 * @default []
	 */
	qemuArgs?: readonly string[];
	/**
	 * Environment variables for every exec (an exec's own `env` is merged over it).
	 * @default {}
	 */
	env?: Readonly<Record<string, string>>;
	/**
	 * Default working directory of every exec, a host path (visible in the guest at the same path).
	 * @default process.cwd()
	 */
	cwd?: string;
	/**
	 * How long the boot may take before it fails with a `VmBootError`, in milliseconds.
	 * @default 60000
	 */
	bootTimeout?: number;
	/**
	 * `'capture'` keeps the guest console in `vm.consoleLog`; `'inherit'` also prints it live on stderr.
	 * @default 'capture'
	 */
	console?: 'capture' | 'inherit';
	/**
	 * Directory for cached artifacts (extracted vmlinux, initramfs, accelerator verdict).
	 * @default `$VM_EXEC_CACHE`, else `$XDG_CACHE_HOME/vm-exec`, else `~/.cache/vm-exec`
	 */
	cacheDir?: string;
	/**
	 * `'auto'` starts the VM from a saved snapshot of its configuration (a fraction of a cold boot); the first
	 * VM of a configuration boots cold and saves it in `cacheDir`. `false` always boots cold.
	 * @default 'auto', but `false` with `console: 'inherit'` (a VM from a snapshot has no boot to show)
	 */
	snapshot?: 'auto' | false;
	/** Called with a one-line message before slow one-time work (creating a snapshot), e.g. to print it. */
	onProgress?: (message: string) => void;
	/**
	 * QEMU binary.
	 * @default `$VM_EXEC_QEMU`, else `qemu-system-x86_64` from `PATH`
	 */
	qemu?: string;
	/** Aborts the boot. */
	signal?: AbortSignal;
	/**
	 * Attach a user-mode (NAT) network card, configured as the seed does it: eth0 10.0.2.15/24, default
	 * route via 10.0.2.2 (the host's loopback, as seen from the guest), the host's name → 10.0.2.2 in
	 * `/etc/hosts`, DNS 10.0.2.3. Needed by `vm.forwardPort()`. Without it the guest has only loopback.
	 * @default false
	 */
	network?: boolean;
	/**
	 * Put the VM on a private Ethernet segment shared by every VM started with the same LAN name in this
	 * process. A name gets the next free address (10.0.3.1, 10.0.3.2, … in `startVm` call order);
	 * `{ name, address }` asks for one (`'10.0.3.9'` or `'192.168.7.2/24'`). Read it from `vm.lanAddress`.
	 * @default undefined (no LAN)
	 */
	lan?: string | { name: string; address?: string };
	/**
	 * Drive an external launcher with the seed's interface (`launcher [--quiet] [--shared=DIR] "script" [-- qemu args]`,
	 * e.g. the NixOS module's `…config.system.build.vmExec`) instead of booting QEMU here: each `exec` is one launcher
	 * run, whose output and exit status become the result. Cannot be combined with `kernel`, `modules`, `memory`,
	 * `cpus`, `accel`, `qemu`, `network`, `lan` or `shell` (the launcher decides those; pass QEMU flags through
	 * `qemuArgs`).
	 * @default undefined (vm-exec boots its own VM)
	 */
	launcher?: readonly string[];
	/**
	 * Disk images, attached in order as `/dev/vda`, `/dev/vdb`, … (virtio), with their drivers loaded before
	 * the first exec: a path, or `{ path, size, format, readOnly, serial }`. A missing file with a `size` is
	 * created (sparse raw, or qcow2). The guest's writes reach the file once synced (`sync`, or closing the
	 * VM). See `vm.disks`.
	 * @default []
	 */
	disks?: readonly (string | DiskOptions)[];
	/**
	 * Warm pool, for tests that take a fresh VM each (the Vitest `vm` fixture, `useVm({ per: 'test' })`):
	 * how many VMs of these options may start ahead, in the background, while a test runs, so that the
	 * next test gets one at once. `0` turns it off, as `VM_EXEC_POOL=0` does for every test (the variable
	 * wins). Ignored by `startVm()` itself. See docs/performance.md.
	 * @default 1 (`$VM_EXEC_POOL`)
	 */
	pool?: number;
	/**
	 * Start QEMU's gdb stub (on a unix socket in the VM's private dir) and boot with `nokaslr`, so that a
	 * debugger can attach to the guest kernel: `vm.gdb` says how (`gdb -ex 'target remote …' vmlinux`).
	 * @default false
	 */
	gdb?: boolean;
	/**
	 * `'failed'`: the test fixtures (Vitest's `vm` and `fileVm`, `useVm()` in Vitest and Jest) keep the VM of a
	 * failed test running instead of closing it (a shared VM once the tests sharing it are done), and the failure report ends with `vm-exec attach <id>`, which opens a shell in it.
	 * A kept VM stops after `keepLimit`, or with `vm-exec kill <id>`.
	 * @default `'failed'` when `VM_EXEC_KEEP=failed`, else `false`
	 */
	keep?: 'failed' | false;
	/**
	 * How long a kept VM stays, in milliseconds (also when the test runner is gone or was killed).
	 * @default `$VM_EXEC_KEEP_LIMIT` (seconds), else 1800000 (30 min)
	 */
	keepLimit?: number;
	/**
	 * What the guest kernel's reports (`WARNING:`, `BUG:`, an oops, a lockup, …) and a failing new taint
	 * (`W`, `D`, `L`, …; not `O`/`E`) do to the work during which they were logged: `'fail'` fails it, `'report'`
	 * shows them without failing, `'ignore'` neither. The work is a test for the test fixtures (the test fails
	 * after its own assertions, with the report) and an exec for `startVm()` (it rejects with a
	 * `VmKernelError`). Either way each exec's result carries them (`kernelReports`, `taint`). See
	 * docs/kernel-reports.md. A launcher VM has no kernel log.
	 * @default 'fail' in the test fixtures, 'report' for `startVm()` and `runInVm()`
	 */
	kernelReports?: KernelReportPolicy;
}

/** What a kernel report does to the work it was logged during (the `kernelReports` option). */
export type KernelReportPolicy = 'fail' | 'report' | 'ignore';

/** The VM options with their defaults filled in, checked. */
export interface NormalizedVmOptions {
	kernel: string | undefined;
	modules: string | undefined;
	/** `VM_EXEC_KERNEL` and `VM_EXEC_MODULES` (used when `kernel`/`modules` are not given). */
	kernelFromEnv: string | undefined;
	modulesFromEnv: string | undefined;
	arch: Arch;
	root: string | undefined;
	memoryMiB: number;
	cpus: number;
	accel: Accel;
	shared: string | boolean;
	qemuArgs: string[];
	env: Record<string, string>;
	cwd: string;
	shell: string;
	bootTimeout: number;
	console: 'capture' | 'inherit';
	/** The cache directory, resolved (the option, `VM_EXEC_CACHE`, `$XDG_CACHE_HOME/vm-exec` or `~/.cache/vm-exec`). */
	cacheDir: string;
	snapshot: 'auto' | false;
	onProgress: ((message: string) => void) | undefined;
	qemu: string | undefined;
	/** `VM_EXEC_QEMU` (used for the host's arch when `qemu` is not given). */
	qemuFromEnv: string | undefined;
	/** `VM_EXEC_BUSYBOX`. */
	busybox: string | undefined;
	/** `VM_EXEC_GUEST_SHELL`: the shell the initramfs carries, `false` for none, undefined for the VM's `shell`. */
	guestShell: string | false | undefined;
	/** `VM_EXEC_LIVENESS` is not `off`. */
	liveness: boolean;
	signal: AbortSignal | undefined;
	launcher: string[] | undefined;
	network: boolean;
	lan: NormalizedLan | undefined;
	disks: NormalizedDisk[];
	pool: number;
	gdb: boolean;
	keep: 'failed' | false;
	keepLimit: number;
	/** `'fail'` makes an exec reject with a `VmKernelError` (the fixtures start their VMs with `'report'`). */
	kernelReports: KernelReportPolicy;
}
