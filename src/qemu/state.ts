/**
 * What a VM that does not answer is doing, from QEMU's side: for the error of a boot that ran out of
 * time, so that a hang can be told apart from a slow machine (is the guest running, where are its CPUs,
 * are they halted waiting for an interrupt?).
 */
import { withDeadline } from '../lifecycle/wait.js';
import type { QmpClient } from './qmp-client.js';

/** One virtual CPU as QEMU's `info registers -a` shows it. */
export interface VcpuRegisters {
	cpu: number;
	/** The instruction pointer, as QEMU prints it (hex, no 0x). */
	rip: string;
	/** Waiting for an interrupt (HLT): an idle CPU, not a spinning one. */
	halted: boolean;
	/** RFLAGS.IF clear: the CPU ignores interrupts (a spin with interrupts off never ends by itself). */
	interruptsOff: boolean;
	/** The privilege level: 0 kernel, 3 user space. */
	cpl: number | undefined;
}

/** Parse `info registers -a` (x86) into one entry per CPU; unknown output gives none. Pure. */
export function parseRegisters(text: string): VcpuRegisters[] {
	return text
		.split(/^(?=CPU#\d+)/m)
		.map((block) => {
			const cpu = /^CPU#(\d+)/.exec(block)?.[1];
			const rip = /RIP=([0-9a-f]+)/.exec(block)?.[1];
			if (cpu === undefined || rip === undefined) return undefined;
			const flags = /RFL=([0-9a-f]+)/.exec(block)?.[1];
			const cpl = /\bCPL=(\d)/.exec(block)?.[1];
			return {
				cpu: Number(cpu),
				rip,
				halted: /\bHLT=1\b/.test(block),
				// IF is bit 9 of RFLAGS.
				interruptsOff: flags !== undefined && (Number.parseInt(flags, 16) & 0x200) === 0,
				cpl: cpl === undefined ? undefined : Number(cpl),
			};
		})
		.filter((registers): registers is VcpuRegisters => registers !== undefined);
}

/** `info registers -a` → one line per CPU: `CPU 0 at RIP ffffffff81e3a1b2 (halted)`. */
export function summarizeRegisters(text: string): string[] {
	return parseRegisters(text).map(({ cpu, rip, halted }) => `CPU ${cpu} at RIP ${rip}${halted ? ' (halted)' : ''}`);
}

/** One line for an error message, or '' if QEMU does not answer within a second either. */
export async function describeQemuState(qmp: () => Promise<QmpClient>): Promise<string> {
	try {
		return await withDeadline(
			(async () => {
				const client = await qmp();
				const status = await client.execute<{ status?: string }>('query-status');
				const registers = await client.execute<string>('human-monitor-command', { 'command-line': 'info registers -a' });
				return `QEMU's view: the VM is ${status.status ?? 'in an unknown state'}; ${summarizeRegisters(registers).join('; ') || 'no CPU state'}.`;
			})(),
			{ ms: 1000, onDeadline: () => new Error('QEMU did not answer') },
		);
	} catch {
		return '';
	}
}

/**
 * Whether gdb holds the VM: QEMU's gdb stub pauses the VM while gdb is attached and stopped (`paused`), and at
 * a breakpoint or a single step (`debug`). A VM held so is silent on purpose, not frozen. False when QEMU
 * does not answer within a second.
 */
export async function isHeldByDebugger(qmp: () => Promise<QmpClient>): Promise<boolean> {
	try {
		const { status } = await withDeadline((async () => (await qmp()).execute<{ status?: string }>('query-status'))(), {
			ms: 1000,
			onDeadline: () => new Error('QEMU did not answer'),
		});
		return status === 'debug' || status === 'paused';
	} catch {
		return false;
	}
}
