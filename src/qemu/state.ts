/**
 * What a VM that does not answer is doing, from QEMU's side: for the error of a boot that ran out of
 * time, so that a hang can be told apart from a slow machine (is the guest running, where are its CPUs,
 * are they halted waiting for an interrupt?).
 */
import { withDeadline } from '../lifecycle/wait.js';
import type { QmpClient } from './qmp-client.js';

/** `info registers -a` → one line per CPU: `CPU 0 at RIP ffffffff81e3a1b2 (halted)`. */
export function summarizeRegisters(text: string): string[] {
	return text
		.split(/^(?=CPU#\d+)/m)
		.map((block) => {
			const cpu = /^CPU#(\d+)/.exec(block)?.[1];
			const rip = /RIP=([0-9a-f]+)/.exec(block)?.[1];
			if (cpu === undefined || rip === undefined) return undefined;
			return `CPU ${cpu} at RIP ${rip}${/\bHLT=1\b/.test(block) ? ' (halted)' : ''}`;
		})
		.filter((line): line is string => line !== undefined);
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
