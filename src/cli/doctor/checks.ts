/**
 * The checks of `vm-exec doctor`: everything a VM needs on this host, each with what was found and, when
 * it is wrong, how to fix it. They reuse the functions `startVm` itself uses, so doctor and a real boot
 * never disagree about what is found.
 */
import { resolveCacheDir } from '../../cache/dir.js';
import { checkBoot } from './boot-check.js';
import { checkCacheDir } from './cache-check.js';
import type { DoctorCheck, DoctorOptions } from './check.js';
import { checkKernel, checkModules } from './kernel-checks.js';
import { checkKvm } from './kvm-check.js';
import { checkBash, checkBusybox, checkFirmware, checkGuestShell, checkQemu } from './tool-checks.js';

export type { DoctorCheck, DoctorOptions } from './check.js';

/** Run every check; with `boot`, also boot a VM when nothing else failed. */
export async function runDoctorChecks(options: DoctorOptions = {}): Promise<DoctorCheck[]> {
	const cacheDir = resolveCacheDir(options.cacheDir);
	const [qemu, kernel, busybox, shell, cache, firmware, bash] = await Promise.all([
		checkQemu(),
		checkKernel(options),
		checkBusybox(),
		checkGuestShell(),
		checkCacheDir(options),
		checkFirmware(),
		checkBash(),
	]);
	const [modules, kvm] = await Promise.all([checkModules(kernel.found), checkKvm(qemu.found, kernel.found, cacheDir)]);
	const checks = [qemu.check, kvm, kernel.check, modules, busybox, shell, cache, firmware, bash];
	if (options.boot) {
		checks.push(
			checks.some((check) => check.status === 'fail')
				? { name: 'boot', status: 'fail', detail: 'not tried: fix the failures above first' }
				: await checkBoot(options),
		);
	}
	return checks;
}
