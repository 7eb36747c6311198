/**
 * Doctor checks of the kernel to boot and the modules the guest loads from its modules directory.
 */
import { constants } from 'node:fs';
import { type Arch, archSpec } from '../../arch/arch.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type FindKernelOptions, findKernel, type KernelInfo } from '../../kernel/kernel.js';
import { guestModules, parseModulesBuiltin, parseModulesDep, resolveModuleLoadOrder } from '../../kernel/module-deps.js';
import { findOnPath, isAccessibleFile } from '../../qemu/host-tools.js';
import { checkFinder, type DoctorCheck } from './check.js';

export async function checkKernel(options: FindKernelOptions): Promise<{ check: DoctorCheck; found?: KernelInfo }> {
	const result = await checkFinder(
		'kernel',
		// The discovery startVm uses, with its errors: for another arch, the root's /boot only.
		() => findKernel(options),
		(kernel) => `${kernel.path} (Linux ${kernel.release}, from ${kernel.source}) is readable and has virtio, 9p and overlayfs`,
	);
	const skipped = result.found?.skipped;
	if (!skipped) return result;
	// Kernels discovery passed over (Debian's cloud flavour sorts after the standard one and has no 9p).
	return {
		...result,
		check: {
			...result.check,
			status: 'warn',
			detail: `${result.check.detail}; skipped kernels that cannot run the guest: ${skipped.map((entry) => `${entry.path}: ${entry.why}`).join('; ')}`,
			fix: 'nothing to do unless you meant one of those (vm-exec uses the one named first)',
		},
	};
}

export async function checkModules(kernel: KernelInfo | undefined, arch: Arch): Promise<DoctorCheck> {
	if (!kernel) return { name: 'modules', status: 'fail', detail: 'not checked: no usable kernel (see above)' };
	const depText = await readFile(path.join(kernel.modulesDir, 'modules.dep'), 'utf8').catch(() => undefined);
	if (depText === undefined) {
		return {
			name: 'modules',
			status: 'fail',
			detail: `${kernel.modulesDir}/modules.dep is not readable`,
			fix: `run \`sudo depmod ${kernel.release}\`, or pass the modules directory (env: VM_EXEC_MODULES)`,
		};
	}
	const builtinText = await readFile(path.join(kernel.modulesDir, 'modules.builtin'), 'utf8').catch(() => '');
	// The modules the initramfs packs for this arch (its virtio transport and control line differ).
	const wanted = guestModules(archSpec(arch));
	const { order, missing } = resolveModuleLoadOrder(parseModulesDep(depText), wanted, parseModulesBuiltin(builtinText));
	const unreadable: string[] = [];
	for (const file of order) {
		if (!(await isAccessibleFile(path.join(kernel.modulesDir, file), constants.R_OK))) unreadable.push(file);
	}
	if (unreadable.length > 0) {
		return {
			name: 'modules',
			status: 'fail',
			detail: `cannot read ${unreadable.join(', ')} in ${kernel.modulesDir}`,
			fix: `install the modules of Linux ${kernel.release} (Debian: the linux-image-${kernel.release} package)`,
		};
	}
	const decompressors = new Set(order.flatMap((file) => (file.endsWith('.xz') ? ['xz'] : file.endsWith('.zst') ? ['zstd'] : [])));
	for (const tool of decompressors) {
		if (!(await findOnPath(tool))) {
			return {
				name: 'modules',
				status: 'fail',
				detail: `the modules are ${tool}-compressed but \`${tool}\` is not installed`,
				fix: `\`sudo apt-get install ${tool === 'xz' ? 'xz-utils' : 'zstd'}\``,
			};
		}
	}
	if (missing.length > 0) {
		return {
			name: 'modules',
			status: 'warn',
			detail: `${kernel.modulesDir}: ${missing.join(', ')} neither a module nor listed as built in; the VM fails to boot unless the kernel has them built in`,
			fix: 'use a distribution kernel (it has virtio, 9p and overlay as modules)',
		};
	}
	return {
		name: 'modules',
		status: 'ok',
		detail: `${kernel.modulesDir} has what the guest needs (${wanted.join(', ')}: ${order.length} module files, the rest built in)`,
	};
}
