/**
 * Raw QEMU boots, for the benchmarks that time the kernel itself: the QEMU command line of a real cold VM
 * (no snapshot, no shared dir, no network), built by the real argv builder (src/qemu/argv.ts) and started
 * by the real launcher (src/qemu/launch.ts) in a fresh workspace. A benchmark changes only what it says it
 * changes (the kernel flags, the initramfs) and stops QEMU once the console shows what it waits for.
 */
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startVm } from '../src/index.js';
import { createWorkspace, workspacePaths, type WorkspacePaths } from '../src/lifecycle/workspace.js';
import { buildQemuArgv, type QemuPlan } from '../src/qemu/argv.js';
import { launchQemu } from '../src/qemu/launch.js';

export interface RawBootSetup {
	/** The QEMU binary a VM runs. */
	qemu: string;
	/** The plan of a cold VM, its per-VM paths in `workspace`. */
	plan(workspace: WorkspacePaths): QemuPlan;
}

/**
 * What a cold VM boots with on this host (kernel, initramfs, firmware, accelerator, CPU model, memory),
 * learned from one real VM. What `startVm` resolves (the cached vmlinux, the accelerator verdict, the `-cpu`
 * the host's programs need) is not re-derived here; the plan is checked to rebuild that VM's command line
 * exactly, so a benchmark never times a boot other than vm-exec's.
 */
export async function rawBootSetup(): Promise<RawBootSetup> {
	const vm = await startVm({ snapshot: false });
	const [qemu, ...argv] = vm.qemuArgv;
	await vm.close();
	const valueAfter = (flag: string) => {
		const index = argv.indexOf(flag);
		return index === -1 ? undefined : argv[index + 1];
	};
	const required = (flag: string) => {
		const value = valueAfter(flag);
		if (value === undefined) throw new Error(`a cold VM's QEMU command line has no ${flag}: ${JSON.stringify(vm.qemuArgv)}`);
		return value;
	};
	const fixed = {
		kernel: required('-kernel'),
		initramfs: required('-initrd'),
		bios: valueAfter('-bios'),
		accel: required('-accel') === 'kvm' ? ('kvm' as const) : ('tcg' as const),
		cpuModel: valueAfter('-cpu'),
		memoryMiB: Number(required('-m')),
		cpus: Number(required('-smp')),
		hostRoot: '/',
	};
	const plan = (workspace: WorkspacePaths): QemuPlan => ({
		...fixed,
		consoleSocket: workspace.consoleSocket,
		controlSocket: workspace.controlSocket,
		qmpSocket: workspace.qmpSocket,
		xchgDir: workspace.xchgDir,
		sharedDir: workspace.emptyDir,
	});
	const control = argv.find((arg) => arg.startsWith('socket,id=control,path='));
	const root = control && path.dirname(control.slice('socket,id=control,path='.length));
	const rebuilt = root === undefined ? [] : buildQemuArgv(plan(workspacePaths(root)));
	if (!isDeepStrictEqual(rebuilt, argv)) {
		throw new Error(
			`bench/raw-boot.ts no longer rebuilds a real VM's QEMU command line; update its plan.\nreal:    ${JSON.stringify(argv)}\nrebuilt: ${JSON.stringify(rebuilt)}`,
		);
	}
	return { qemu: qemu!, plan };
}

/**
 * Milliseconds from launching QEMU with the plan until its console (the first serial port) satisfies
 * `done`; QEMU is then stopped and its workspace removed.
 */
export async function timeToConsole(
	setup: RawBootSetup,
	change: Partial<QemuPlan>,
	done: (output: string) => boolean,
	what: string,
): Promise<number> {
	const workspace = await createWorkspace();
	try {
		let seen = '';
		let reachedAt: (at: number) => void = () => {};
		const reached = new Promise<number>((resolve) => (reachedAt = resolve));
		const console = new Writable({
			write(chunk: Buffer, _encoding, callback) {
				seen += chunk.toString('latin1');
				if (done(seen)) reachedAt(performance.now());
				callback();
			},
		});
		const started = performance.now();
		const qemu = await launchQemu(setup.qemu, { ...setup.plan(workspace), ...change }, { mirrorConsole: console });
		try {
			const exited = qemu.exited.then((exit) => {
				throw new Error(`QEMU exited (${exit.signal ?? `code ${exit.exitCode}`}) before ${what}: ${qemu.stderr().trim()}`);
			});
			exited.catch(() => {});
			return (await Promise.race([reached, exited])) - started;
		} finally {
			await qemu.stop();
		}
	} finally {
		await workspace.remove();
	}
}
