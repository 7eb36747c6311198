/**
 * Raw QEMU boots, for the benchmarks that time the kernel itself: the QEMU command line of a real cold VM
 * (no snapshot, no shared dir, no network), built by the real argv builder (src/qemu/argv/qemu-argv.ts) and started
 * by the real launcher (src/qemu/launch.ts) in a fresh workspace. A benchmark changes only what it says it
 * changes (the kernel flags, the initramfs) and stops QEMU once the console shows what it waits for.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startVm } from '../src/index.js';
import { createWorkspace, workspacePaths, type WorkspacePaths } from '../src/lifecycle/workspace.js';
import { buildQemuArgv, type QemuPlan } from '../src/qemu/argv/qemu-argv.js';
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
	return (await bootToConsole(setup, change, done, what)).ms;
}

/** User and system CPU time a process has used so far, in ms (clock ticks of 10 ms). */
export function cpuTimeMs(pid: number): number {
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
	return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * timeToConsole, with the CPU time QEMU had used by then: what the boot cost the machine, much less moved by
 * other jobs on it than the wall time.
 */
export async function bootToConsole(
	setup: RawBootSetup,
	change: Partial<QemuPlan>,
	done: (output: string) => boolean,
	what: string,
): Promise<{ ms: number; cpuMs: number }> {
	const workspace = await createWorkspace();
	try {
		let seen = '';
		let pid: number | undefined;
		let reachedAt: (at: { ms: number; cpuMs: number }) => void = () => {};
		const reached = new Promise<{ ms: number; cpuMs: number }>((resolve) => (reachedAt = resolve));
		const console = new Writable({
			write(chunk: Buffer, _encoding, callback) {
				seen += chunk.toString('latin1');
				if (done(seen)) reachedAt({ ms: performance.now() - started, cpuMs: pid === undefined ? Number.NaN : cpuTimeMs(pid) });
				callback();
			},
		});
		const started = performance.now();
		const qemu = await launchQemu(setup.qemu, { ...setup.plan(workspace), ...change }, { mirrorConsole: console });
		pid = qemu.pid;
		try {
			const exited = qemu.exited.then((exit) => {
				throw new Error(`QEMU exited (${exit.signal ?? `code ${exit.exitCode}`}) before ${what}: ${qemu.stderr().trim()}`);
			});
			exited.catch(() => {});
			return await Promise.race([reached, exited]);
		} finally {
			await qemu.stop();
		}
	} finally {
		await workspace.remove();
	}
}
