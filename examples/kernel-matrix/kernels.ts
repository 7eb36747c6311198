/**
 * The kernels of the matrix. Each entry becomes a Vitest project running every spec in test/.
 *
 * - `host`: the default kernel (the running one, or the newest usable one in /boot).
 * - Every kernel unpacked by `sh scripts/install-host-deps.sh --kernel=FLAVOUR` (e.g. `--kernel=rt-amd64`)
 *   into ~/.cache/vm-exec/arch/kernel-FLAVOUR (or $VM_EXEC_ARCH_DIR), with its modules next to it.
 * - `VM_EXEC_KERNELS=/path/to/bzImage:/path/to/modules,…`: kernels you built (`make modules_install
 *   INSTALL_MOD_PATH=…` gives the modules directory).
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VmOptions } from 'vm-exec';

export interface MatrixKernel {
	name: string;
	options: VmOptions;
}

function unpackedKernels(): MatrixKernel[] {
	const base =
		process.env.VM_EXEC_ARCH_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'vm-exec', 'arch');
	if (!existsSync(base)) return [];
	const kernels: MatrixKernel[] = [];
	for (const entry of readdirSync(base)) {
		// kernel-cloud-* has no 9p: vm-exec would refuse it (that is what tests of the refusal use it for).
		if (!entry.startsWith('kernel-') || entry.includes('cloud')) continue;
		const boot = path.join(base, entry, 'boot');
		const image = existsSync(boot) ? readdirSync(boot).find((name) => name.startsWith('vmlinuz-')) : undefined;
		if (image) kernels.push({ name: entry.slice('kernel-'.length), options: { kernel: path.join(boot, image) } });
	}
	return kernels;
}

function builtKernels(): MatrixKernel[] {
	return (process.env.VM_EXEC_KERNELS ?? '')
		.split(',')
		.filter(Boolean)
		.map((pair, index) => {
			const [kernel, modules] = pair.split(':');
			return { name: `built-${index + 1}`, options: { kernel: kernel!, ...(modules ? { modules } : {}) } };
		});
}

export const kernels: MatrixKernel[] = [{ name: 'host', options: {} }, ...unpackedKernels(), ...builtKernels()];
