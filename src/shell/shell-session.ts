/**
 * An interactive shell in a running VM, on a real terminal of the guest's.
 *
 * Each shell gets a virtio console port of its own, added over QMP when it is opened and removed when it
 * ends: `virtconsole` ports show up in the guest as `/dev/hvcN`, a real tty (line discipline, job
 * control, ^C → SIGINT to the foreground job, a window size), with no guest program copying bytes.
 * The virtio-serial controller itself is hot-added at the first shell (the guest rescans PCI and loads
 * virtio_console), so nothing changes for VMs that never open a shell: same boot, same device set, same
 * snapshot. QEMU listens on the port's unix socket; the terminal side connects there directly.
 *
 * The guest side is one exec: wait for the port, size the tty, then `setsid -w -c bash -l` on it (a new
 * session with the tty as its controlling terminal); the exec's exit status is the shell's. A window size
 * change is `stty rows R cols C` on the tty, which makes the kernel send SIGWINCH to its foreground job.
 */
import path from 'node:path';
import { VmError } from '../errors.js';
import type { ExecResult } from '../vm/exec-result.js';
import { vmInternalsOf } from '../vm/internals-registry.js';
import type { VmInternals } from '../vm/internals-registry.js';
import { shellQuote } from '../protocol/exec-files.js';
import { buildShellScript, MAX_SHELLS, shellPortName } from './shell-script.js';

/** What a shell session needs from a VM: exec, and the machinery `startVm` registered for it. */
export interface ShellVm {
	exec(script: string, options?: { env?: Record<string, string>; signal?: AbortSignal }): Promise<ExecResult<string>>;
	readonly qemuArgv: readonly string[];
}

export interface ShellSize {
	rows: number;
	cols: number;
}

export interface ShellSession {
	/** The unix socket to connect the terminal to (before `start()`: the guest's first bytes are not kept). */
	socketPath: string;
	/** Start the shell; resolves with its exit status once it exits (undefined if the VM went away). */
	start(): Promise<number | undefined>;
	/** Pass a new window size to the guest's tty (its foreground job gets SIGWINCH). */
	resize(size: ShellSize): Promise<void>;
	/** End the shell (if still running) and remove its port. Idempotent. */
	close(): Promise<void>;
}

interface PortState {
	bus: Promise<void> | undefined;
	used: Set<number>;
}
const ports = new WeakMap<VmInternals, PortState>();

/** Hot-add the virtio-serial controller once per VM; the guest finds it by rescanning PCI (ACPI is off). */
function ensureSerialBus(vm: ShellVm, internals: VmInternals, state: PortState): Promise<void> {
	state.bus ??= (async () => {
		const qmp = await internals.qemu.qmp();
		await qmp.execute('device_add', { driver: 'virtio-serial-pci', id: 'vmx-shells' });
		const setup = await vm.exec('echo 1 >/sys/bus/pci/rescan && modprobe virtio_console');
		if (setup.exitCode !== 0) {
			throw new VmError(
				`Cannot set up the shell's console in the guest (virtio_console): ${setup.stderr.trim() || `exit ${setup.exitCode}`}`,
				{
					qemuArgv: vm.qemuArgv,
				},
			);
		}
	})();
	state.bus.catch(() => {
		state.bus = undefined;
	});
	return state.bus;
}

/**
 * Open a shell port in `vm` (a VM from `startVm`) sized `size`, with `env` (TERM, …) for the shell.
 * Several sessions may be open at once (up to 8).
 */
export async function openShellSession(
	vm: ShellVm,
	options: { size: ShellSize; env?: Record<string, string>; norc?: boolean },
): Promise<ShellSession> {
	const internals = vmInternalsOf(vm);
	if (!internals) throw new VmError('An interactive shell needs a VM started by vm-exec itself (not a launcher VM).');
	let state = ports.get(internals);
	if (!state) {
		state = { bus: undefined, used: new Set() };
		ports.set(internals, state);
	}
	await ensureSerialBus(vm, internals, state);
	// The guest numbers hvc ttys lowest-free, as QEMU numbers ports when `nr` is lowest-free too: port N is /dev/hvcN.
	let nr = 0;
	while (state.used.has(nr)) nr++;
	if (nr >= MAX_SHELLS) throw new VmError(`Too many shells open in this VM at once (at most ${MAX_SHELLS}).`, { qemuArgv: vm.qemuArgv });
	state.used.add(nr);
	const id = `vmx-shell-${nr}`;
	const socketPath = path.join(path.dirname(internals.xchgDir), `shell-${nr}.sock`);
	const qmp = await internals.qemu.qmp();
	try {
		await qmp.execute('chardev-add', {
			id,
			backend: { type: 'socket', data: { addr: { type: 'unix', data: { path: socketPath } }, server: true, wait: false } },
		});
		await qmp.execute('device_add', { driver: 'virtconsole', id, chardev: id, nr, name: shellPortName(nr), bus: 'vmx-shells.0' });
	} catch (error) {
		state.used.delete(nr);
		await qmp.execute('chardev-remove', { id }).catch(() => {});
		throw new VmError(`Cannot add a console port for the shell: ${String(error)}`, { qemuArgv: vm.qemuArgv, cause: error });
	}
	const tty = `/dev/hvc${nr}`;
	const stop = new AbortController();
	let size = options.size;
	let closed: Promise<void> | undefined;
	let running: Promise<number | undefined> | undefined;
	return {
		socketPath,
		start() {
			running ??= vm
				.exec(buildShellScript({ nr, tty, size, norc: options.norc === true }), { env: options.env ?? {}, signal: stop.signal })
				.then((result) => result.exitCode);
			return running;
		},
		async resize(next) {
			size = next;
			if (!running) return;
			await vm.exec(`stty -F ${shellQuote(tty)} rows ${Math.trunc(next.rows)} cols ${Math.trunc(next.cols)}`).catch(() => {});
		},
		close() {
			closed ??= (async () => {
				stop.abort();
				await running?.catch(() => {});
				await qmp.execute('device_del', { id }).catch(() => {});
				// The chardev can go only once the guest has released the port.
				for (let attempt = 0; attempt < 50; attempt++) {
					const removed = await qmp.execute('chardev-remove', { id }).then(
						() => true,
						() => false,
					);
					if (removed) break;
					await new Promise((resolve) => setTimeout(resolve, 100));
				}
				state.used.delete(nr);
			})();
			return closed;
		},
	};
}
