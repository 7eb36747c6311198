/**
 * Where the time of `vm-exec attach` goes, step by step, on a kept VM (BENCH_ONLY=attach):
 *   - the CLI's own start and finding the keeper (`vm-exec ps`: node, the registry);
 *   - the keeper opening a shell port ('open' → 'port'): the first also hot-adds the virtio-serial
 *     controller and loads virtio_console in the guest, later ones only add a port;
 *   - 'start' → the guest's first byte on the port, and → the shell's prompt (and with --norc: no startup files);
 *   - in the guest, what a login shell's startup files cost: `bash -l -i -c true` (the host user's own
 *     /etc/profile, ~/.profile, ~/.bashrc, read over the shared root) next to `bash --norc --noprofile`.
 */
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { keepVm } from '../src/keep/keep-vm.js';
import { type AttachReply, createMessageReader, formatMessage } from '../src/keep/attach-protocol.js';
import { startVm } from '../src/index.js';
import type { BenchRow } from './table.js';

const CLI = path.resolve(import.meta.dirname, '../dist/cli/main.js');

interface AttachTimes {
	open: number;
	firstByte: number;
	prompt: number;
}

function timeOneAttach(attachSocket: string, norc = false): Promise<AttachTimes> {
	return new Promise((resolve, reject) => {
		const started = performance.now();
		const times: Partial<AttachTimes> = {};
		const control = net.connect(attachSocket);
		let startedShell = 0;
		const timer = setTimeout(() => reject(new Error('no prompt within 180 s')), 180_000);
		control.on('error', reject);
		control.on(
			'data',
			createMessageReader<AttachReply>((reply) => {
				if (reply.type === 'error') reject(new Error(reply.message));
				if (reply.type !== 'port') return;
				times.open = performance.now() - started;
				const port = net.connect(reply.path, () => {
					startedShell = performance.now();
					control.write(formatMessage({ type: 'start' }));
				});
				let output = '';
				port.on('data', (chunk: Buffer) => {
					times.firstByte ??= performance.now() - startedShell;
					output += chunk.toString();
					if (/[#$] $/.test(output)) {
						times.prompt = performance.now() - startedShell;
						clearTimeout(timer);
						port.destroy();
						control.end();
						resolve(times as AttachTimes);
					}
				});
			}),
		);
		control.write(formatMessage({ type: 'open', rows: 24, cols: 80, term: 'xterm', norc }));
	});
}

export async function benchAttach(input: { rounds: number }): Promise<BenchRow[]> {
	const rows = {
		ps: [] as number[],
		firstOpen: [] as number[],
		open: [] as number[],
		firstByte: [] as number[],
		prompt: [] as number[],
		norcPrompt: [] as number[],
		login: [] as number[],
		bare: [] as number[],
	};
	const kept = await startVm({ keep: 'failed', keepLimit: 600_000 });
	const record = await keepVm(kept, { name: 'bench: attach' });
	const vm = await startVm({});
	try {
		for (let round = 0; round < input.rounds; round++) {
			const psStarted = performance.now();
			await execa(process.execPath, [CLI, 'ps']);
			rows.ps.push(performance.now() - psStarted);
			const times = await timeOneAttach(record.attachSocket);
			(round === 0 ? rows.firstOpen : rows.open).push(times.open);
			rows.firstByte.push(times.firstByte);
			rows.prompt.push(times.prompt);
			rows.norcPrompt.push((await timeOneAttach(record.attachSocket, true)).prompt);
			// Interleaved, pair by pair: the host user's startup files, then none.
			rows.login.push((await vm.succeed('bash -l -i -c true </dev/null >/dev/null 2>&1')).durationMs);
			rows.bare.push((await vm.succeed('bash --norc --noprofile -i -c true </dev/null >/dev/null 2>&1')).durationMs);
		}
	} finally {
		await execa(process.execPath, [CLI, 'kill', record.id], { reject: false });
		await vm.close();
	}
	return [
		{ metric: 'attach: vm-exec ps (CLI start + find the keeper)', unit: 'ms', samples: rows.ps },
		{ metric: 'attach: open the first port (hot-add controller + virtio_console)', unit: 'ms', samples: rows.firstOpen },
		...(rows.open.length ? [{ metric: 'attach: open a later port', unit: 'ms' as const, samples: rows.open }] : []),
		{ metric: 'attach: start → first guest byte', unit: 'ms', samples: rows.firstByte },
		{ metric: 'attach: start → shell prompt', unit: 'ms', samples: rows.prompt },
		{ metric: 'attach --norc: start → shell prompt', unit: 'ms', samples: rows.norcPrompt },
		{ metric: 'guest: bash -l -i -c true (host user rc files)', unit: 'ms', samples: rows.login },
		{ metric: 'guest: bash --norc --noprofile -i -c true', unit: 'ms', samples: rows.bare },
	];
}
