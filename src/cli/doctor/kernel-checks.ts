/**
 * Doctor checks of the kernel to boot and the modules the guest loads from its modules directory.
 */
import { constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findKernel, type KernelInfo } from '../../boot/kernel.js';
import { GUEST_MODULES, parseModulesBuiltin, parseModulesDep, resolveModuleLoadOrder } from '../../boot/module-deps.js';
import { findOnPath, isAccessibleFile } from '../../qemu/host-tools.js';
import { checkFinder, type DoctorCheck, type DoctorOptions } from './check.js';

export function checkKernel(options: DoctorOptions): Promise<{ check: DoctorCheck; found?: KernelInfo }> {
	return checkFinder(
		'kernel',
		() => findKernel({ kernel: options.kernel }),
		(kernel) => `${kernel.path} (Linux ${kernel.release}, from ${kernel.source}) is readable`,
	);
}

export async function checkModules(kernel: KernelInfo | undefined): Promise<DoctorCheck> {
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
	const { order, missing } = resolveModuleLoadOrder(parseModulesDep(depText), GUEST_MODULES, parseModulesBuiltin(builtinText));
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
		detail: `${kernel.modulesDir} has what the guest needs (${GUEST_MODULES.join(', ')}: ${order.length} module files, the rest built in)`,
	};
}
