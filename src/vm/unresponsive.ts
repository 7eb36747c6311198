/**
 * The evidence for a guest that stopped answering: is QEMU itself stopped, where are the virtual CPUs
 * (QMP's `info registers`, named with the kernel's symbols where the host has them), what did the
 * kernel report on the console, what ran last. QMP still answers when the guest's kernel is frozen (QEMU's
 * main loop is not the guest's), but not when QEMU's process is stopped: then the process state says so.
 */
import { describeAddress, loadKernelSymbols } from '../kernel/kernel-symbols.js';
import { consoleTailSection, tailOf, type VcpuLocation, VmUnresponsiveError } from '../errors.js';
import { readProcessState } from '../lifecycle/process-alive.js';
import { withDeadline } from '../lifecycle/wait.js';
import type { QmpClient } from '../qemu/qmp-client.js';
import { parseRegisters } from '../qemu/state.js';
import { summarizeScript } from './exec-result.js';

/** How long QEMU's monitor may take to answer before it is reported as not answering. */
const QMP_TIMEOUT_MS = 1000;
/** Console lines in which the kernel reports a lockup, a bug or a stall. */
const KERNEL_REPORT =
	/BUG: |WARNING: |watchdog: |NMI watchdog|soft lockup|hard LOCKUP|rcu: INFO|rcu_.*detected stall|INFO: task .* blocked|Kernel panic|Out of memory|RIP: [0-9a-f]{4}:/;

/** The kernel's lockup/bug report lines in a console log, the last `max` of them. Pure. */
export function findKernelReports(consoleLog: string, max = 8): string[] {
	return consoleLog
		.split('\n')
		.map((line) => line.replace(/\r$/, '').replace(/^\[\s*\d+\.\d+\]\s*/, ''))
		.filter((line) => KERNEL_REPORT.test(line))
		.slice(-max);
}

export interface UnresponsiveContext {
	silentMs: number;
	pid: number | undefined;
	qmp: () => Promise<QmpClient>;
	kernelRelease: string;
	consoleLog: string;
	lastCommand: string | undefined;
	qemuArgv: readonly string[];
}

async function queryVcpus(qmp: () => Promise<QmpClient>): Promise<{ status: string; registers: string } | undefined> {
	try {
		return await withDeadline(
			(async () => {
				const client = await qmp();
				const status = await client.execute<{ status?: string }>('query-status');
				const registers = await client.humanMonitorCommand('info registers -a');
				return { status: status.status ?? 'unknown', registers };
			})(),
			{ ms: QMP_TIMEOUT_MS, onDeadline: () => new Error('QEMU did not answer') },
		);
	} catch {
		return undefined;
	}
}

/** Gather the evidence (within about a second) and build the error. */
export async function describeUnresponsiveGuest(context: UnresponsiveContext): Promise<VmUnresponsiveError> {
	const processState = context.pid === undefined ? undefined : readProcessState(context.pid);
	const stopped = processState === 'T' || processState === 't';
	const [monitor, symbols] = await Promise.all([stopped ? undefined : queryVcpus(context.qmp), loadKernelSymbols(context.kernelRelease)]);
	const vcpus: VcpuLocation[] = parseRegisters(monitor?.registers ?? '').map((registers) => ({
		cpu: registers.cpu,
		rip: registers.rip,
		where: registers.cpl === 3 ? 'in user space' : describeAddress(BigInt(`0x${registers.rip}`), symbols),
		halted: registers.halted,
		interruptsOff: registers.interruptsOff,
	}));
	const qemuState = stopped ? 'stopped' : (monitor?.status ?? 'unknown');
	const kernelReports = findKernelReports(context.consoleLog);
	const seconds = (context.silentMs / 1000).toFixed(1);
	const lines = [
		stopped
			? `The guest stopped answering: QEMU's process ${context.pid} is stopped (state ${processState}: a SIGSTOP, or a debugger holds it), so neither the guest nor QEMU's monitor can answer. Send it SIGCONT, or close the VM.`
			: `The guest stopped answering: no reply to the host's liveness check for ${seconds} s while QEMU ${monitor ? `is ${monitor.status}` : 'does not answer its monitor either'}. Its kernel is probably frozen (a lockup, e.g. in a module under test); close the VM.`,
		context.lastCommand === undefined ? 'No command had run.' : `Last command: ${summarizeScript(context.lastCommand)}`,
	];
	if (vcpus.length > 0) {
		const source = symbols ? ` (symbols from ${symbols.source})` : '';
		lines.push(
			`Virtual CPUs${source}:`,
			...vcpus.map(
				(vcpu) =>
					`  CPU ${vcpu.cpu} at ${vcpu.rip} ${vcpu.where}${vcpu.halted ? ', halted (idle)' : ', running'}${vcpu.interruptsOff ? ' with interrupts off' : ''}`,
			),
		);
	}
	if (kernelReports.length > 0) lines.push('The kernel reported:', ...kernelReports.map((line) => `  ${line}`));
	else if (!stopped) lines.push('The kernel reported no lockup on the console (a CPU spinning with interrupts off cannot report itself).');
	return new VmUnresponsiveError(lines.join('\n') + consoleTailSection(context.consoleLog, 1500), {
		consoleLog: tailOf(context.consoleLog),
		qemuArgv: context.qemuArgv,
		silentMs: context.silentMs,
		lastCommand: context.lastCommand,
		qemuState,
		vcpus,
		kernelReports,
	});
}
