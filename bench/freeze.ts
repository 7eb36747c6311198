/**
 * What noticing a frozen guest costs (issue 17), before and after, interleaved in one run:
 * - the liveness check (src/vm/liveness.ts), off (`VM_EXEC_LIVENESS=off`) and on, in two VMs side by side:
 *   `exec('true')`, QEMU's CPU use while the VM idles, and while an exec waits (the only time it pings);
 * - the cgroup limits on what execs start (the guest init's cpu and pids controllers), switched off and on
 *   again in one VM between execs: `exec('true')`;
 * - the kernel flags that make a lockup reported soon (LOCKUP_REPORT_KERNEL_FLAGS): the boot to a bare
 *   `/init` without and with them.
 */
import { readFile } from 'node:fs/promises';
import { startVm, type Vm } from '../src/index.js';
import { benchBareInitWith } from './bare-init.js';
import { rawBootSetup } from './raw-boot.js';
import type { BenchRow } from './table.js';

/** QEMU's CPU time so far (user + system, all threads), in ms. */
async function cpuTimeMs(pid: number): Promise<number> {
	const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// utime and stime are fields 14 and 15 of the line, in clock ticks (USER_HZ, 100 on Linux).
	return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function cpuDuring(vm: Vm, work: () => Promise<unknown>): Promise<number> {
	const before = await cpuTimeMs(vm.pid!);
	await work();
	return (await cpuTimeMs(vm.pid!)) - before;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startWithLiveness(enabled: boolean): Promise<Vm> {
	const previous = process.env.VM_EXEC_LIVENESS;
	process.env.VM_EXEC_LIVENESS = enabled ? 'on' : 'off';
	try {
		return await startVm();
	} finally {
		if (previous === undefined) delete process.env.VM_EXEC_LIVENESS;
		else process.env.VM_EXEC_LIVENESS = previous;
	}
}

export async function benchFreeze(options: { boots: number; execs: number }): Promise<BenchRow[]> {
	const vms = [await startWithLiveness(false), await startWithLiveness(true)] as const;
	const roundTrips: [number[], number[]] = [[], []];
	const idle: [number[], number[]] = [[], []];
	const waiting: [number[], number[]] = [[], []];
	const containment: [number[], number[]] = [[], []];
	try {
		for (const vm of vms) await vm.exec('true'); // warm the runners
		// Which VM goes first alternates, so neither always follows the other's work.
		const inTurn = (round: number) => (round % 2 ? [1, 0] : [0, 1]).map((which) => [which, vms[which]!] as const);
		for (let index = 0; index < options.execs; index++) {
			for (const [which, vm] of inTurn(index)) {
				const started = performance.now();
				await vm.exec('true');
				roundTrips[which]!.push(performance.now() - started);
			}
		}
		const rounds = Math.max(2, Math.floor(options.boots / 2));
		for (let round = 0; round < rounds; round++) {
			for (const [which, vm] of inTurn(round)) {
				idle[which]!.push(await cpuDuring(vm, () => sleep(5000)));
				waiting[which]!.push(await cpuDuring(vm, () => vm.exec('sleep 5')));
			}
		}
		// The same VM with the exec cgroups' cpu and pids controllers off, then on again, in turn.
		for (let index = 0; index < options.execs * 2; index++) {
			const contained = index % 2 === 1;
			await vms[1].succeed(`echo '${contained ? '+' : '-'}cpu ${contained ? '+' : '-'}pids' >/sys/fs/cgroup/cgroup.subtree_control`);
			const started = performance.now();
			await vms[1].exec('true');
			containment[contained ? 1 : 0]!.push(performance.now() - started);
		}
	} finally {
		await Promise.all(vms.map((vm) => vm.close()));
	}
	// The kernel takes the last value of a flag: the defaults given after the lockup-report flags undo them.
	const [withoutFlags, withFlags] = await benchBareInitWith(await rawBootSetup(), Math.max(3, options.boots), [
		{ extraKernelFlags: ['watchdog_thresh=10', 'sysctl.kernel.hung_task_timeout_secs=120'] },
		{},
	]);
	return [
		{ metric: "exec('true') round trip, liveness check off", unit: 'ms', samples: roundTrips[0] },
		{ metric: "exec('true') round trip, liveness check on", unit: 'ms', samples: roundTrips[1] },
		{ metric: "exec('true') round trip, exec cgroup limits off", unit: 'ms', samples: containment[0] },
		{ metric: "exec('true') round trip, exec cgroup limits on", unit: 'ms', samples: containment[1] },
		{ metric: 'QEMU CPU time over 5 s idle, liveness check off', unit: 'ms', samples: idle[0] },
		{ metric: 'QEMU CPU time over 5 s idle, liveness check on', unit: 'ms', samples: idle[1] },
		{ metric: "QEMU CPU time during exec('sleep 5'), liveness check off", unit: 'ms', samples: waiting[0] },
		{ metric: "QEMU CPU time during exec('sleep 5'), liveness check on (5 pings)", unit: 'ms', samples: waiting[1] },
		{ metric: 'QEMU start → bare /init, without the lockup-report kernel flags', unit: 'ms', samples: withoutFlags! },
		{ metric: 'QEMU start → bare /init, with them (watchdog_thresh=2 …)', unit: 'ms', samples: withFlags! },
	];
}
