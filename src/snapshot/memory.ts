/**
 * The guest RAM size a snapshot's RAM file must have, as a pure function of the QEMU plan.
 *
 * `qemuArgs` are appended verbatim and may set the memory again (`-m 1G`: QEMU takes the last one). The
 * RAM file backend must have exactly that size, or QEMU refuses to start. Options that arrange guest
 * memory in other ways cannot be combined with the RAM file: such VMs boot cold, without a snapshot.
 */
import type { QemuPlan } from '../qemu/argv/qemu-argv.js';

/** Options that always lay out guest memory themselves. */
const MEMORY_LAYOUT_OPTIONS = new Set(['-mem-path', '-mem-prealloc', '-numa']);
/** Options that do when their value is about memory (a memory backend, `memory-backend=`, …). */
const MAYBE_MEMORY_OPTIONS = new Set(['-object', '-machine', '-M', '-global']);

/** `-m` values QEMU accepts for a fixed size: `384`, `384M`, `1G`, `size=512M` (mebibytes without a suffix). */
export function parseMemoryMiB(value: string): number | undefined {
	const match = /^(?:size=)?(\d+(?:\.\d+)?)([kmgt]?)b?$/i.exec(value.trim());
	if (!match) return undefined;
	const amount = Number(match[1]);
	const unit = (match[2] ?? '').toLowerCase();
	const mib = unit === 'k' ? amount / 1024 : unit === 'g' ? amount * 1024 : unit === 't' ? amount * 1024 * 1024 : amount;
	return Number.isInteger(mib) && mib > 0 ? mib : undefined;
}

/**
 * The guest RAM size in MiB for a VM that saves or restores a snapshot, or undefined when its `qemuArgs`
 * make that impossible (a memory layout of their own, or a `-m` that is not a plain size).
 */
export function snapshotMemoryMiB(plan: Pick<QemuPlan, 'memoryMiB' | 'qemuArgs'>): number | undefined {
	const extra = plan.qemuArgs ?? [];
	let memory = plan.memoryMiB;
	for (let index = 0; index < extra.length; index++) {
		const arg = extra[index]!;
		const option = arg.startsWith('--') ? arg.slice(1) : arg;
		if (option === '-m') {
			const parsed = parseMemoryMiB(extra[index + 1] ?? '');
			if (parsed === undefined) return undefined;
			memory = parsed;
			index++;
		} else if (MEMORY_LAYOUT_OPTIONS.has(option)) {
			return undefined;
		} else if (MAYBE_MEMORY_OPTIONS.has(option)) {
			if (/memory|mem-path|numa/i.test(extra[index + 1] ?? '')) return undefined;
			index++;
		}
	}
	return memory;
}
