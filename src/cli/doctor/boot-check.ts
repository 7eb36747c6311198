/**
 * The doctor's definitive check (`--boot`): boot a VM and run a command in it.
 */
import type { Arch } from '../../arch/arch.js';
import { startVm } from '../../start-vm.js';
import { type DoctorCheck, type DoctorOptions, messageOf } from './check.js';

/** The VM as the CLI would start it for `--arch` and `--root` (root's shell included). */
export interface BootTarget {
	arch: Arch;
	root: string | undefined;
	shell: string;
}

export async function checkBoot(options: DoctorOptions, target: BootTarget): Promise<DoctorCheck> {
	const started = performance.now();
	try {
		await using vm = await startVm({
			arch: target.arch,
			shell: target.shell,
			...(target.root ? { root: target.root } : {}),
			...(options.kernel ? { kernel: options.kernel } : {}),
			...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
		});
		// `uname -m` is the guest's own word that it runs the asked arch.
		const result = await vm.exec('uname -r && uname -m');
		if (result.exitCode !== 0)
			return {
				name: 'boot',
				status: 'fail',
				detail: `the VM booted but \`uname -r && uname -m\` exited with ${result.exitCode}: ${result.stderr.trim()}`,
			};
		return {
			name: 'boot',
			status: 'ok',
			detail: `a VM booted and ran a command in ${((performance.now() - started) / 1000).toFixed(1)} s (Linux ${result.stdout.trim().split('\n').join(' ')}, ${vm.accel === 'kvm' ? 'KVM' : 'TCG software emulation'})`,
		};
	} catch (error) {
		return { name: 'boot', status: 'fail', detail: messageOf(error), fix: 'run with DEBUG=vm-exec:* for details' };
	}
}
