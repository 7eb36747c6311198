/**
 * The checks of `vm-exec doctor`: everything a VM needs on this host, each with what was found and, when
 * it is wrong, how to fix it. They reuse the functions `startVm` itself uses, so doctor and a real boot
 * never disagree about what is found.
 */
import os from 'node:os';
import { type Arch, hostArch } from '../../arch/arch.js';
import { readVmEnvironment, resolveCacheDir } from '../../options/environment.js';
import { rootScriptShell } from '../run-script.js';
import { checkBoot } from './boot-check.js';
import { checkCacheDir } from './cache-check.js';
import type { DoctorCheck, DoctorOptions } from './check.js';
import { parseDoctorTarget, selectDoctorChecks } from './doctor-target.js';
import { checkKernel, checkModules } from './kernel-checks.js';
import { checkKvm, foreignKvmCheck } from './kvm-check.js';
import { checkReadable } from './readable-check.js';
import { checkRoot } from './root-check.js';
import { checkBash, checkBusybox, checkFirmware, checkGuestShell, checkQemu } from './tool-checks.js';

export type { DoctorCheck, DoctorOptions } from './check.js';

/** What `parseDoctorTarget` needs to know of this host: its arch, environment and home directory. */
export function thisHost(): { arch: Arch | undefined; env: NodeJS.ProcessEnv; home: string } {
	return { arch: hostArch(), env: process.env, home: os.homedir() };
}

/** Run every check that applies to the target VM; with `boot`, also boot one when nothing else failed. */
export async function runDoctorChecks(options: DoctorOptions = {}): Promise<DoctorCheck[]> {
	// No flags: the host's arch, no root of its own, what `startVm()` boots without options.
	const target = options.target ?? parseDoctorTarget({}, thisHost());
	const { arch, root } = target;
	// The environment as startVm's options gate reads it: doctor finds what a boot would find.
	const environment = readVmEnvironment();
	const cacheDir = resolveCacheDir(options.cacheDir);
	// The shell the CLI runs scripts with in another root (startVm's default is /bin/sh).
	const shell = (root && rootScriptShell(root)) || '/bin/sh';
	const names = selectDoctorChecks(target);
	// Only the checks that apply to this VM run (no qboot for aarch64, no host shell for another root).
	const ifApplies = (name: string, run: () => Promise<DoctorCheck>) => (names.includes(name) ? run() : undefined);
	const [qemu, kernel, ...others] = await Promise.all([
		checkQemu(arch, environment.qemu),
		checkKernel({ kernel: options.kernel, arch, root, environment }),
		checkBusybox(arch, root, environment.busybox),
		ifApplies('root', () => checkRoot(target, shell)),
		ifApplies('shell', () => checkGuestShell(environment.guestShell)),
		checkCacheDir(options),
		ifApplies('firmware', checkFirmware),
		ifApplies('bash', checkBash),
		checkReadable(root),
	]);
	const [modules, kvm] = await Promise.all([
		checkModules(kernel.found, arch),
		foreignKvmCheck(arch, hostArch()) ?? checkKvm(qemu.found, kernel.found, cacheDir),
	]);
	const all = [qemu.check, kvm, kernel.check, modules, ...others.filter((check) => check !== undefined)];
	const checks = names.map((name) => all.find((check) => check.name === name)!);
	if (options.boot) {
		checks.push(
			checks.some((check) => check.status === 'fail')
				? { name: 'boot', status: 'fail', detail: 'not tried: fix the failures above first' }
				: await checkBoot(options, { arch, root, shell }),
		);
	}
	return checks;
}
