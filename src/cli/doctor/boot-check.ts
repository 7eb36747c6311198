/**
 * The doctor's definitive check (`--boot`): boot a VM and run a command in it.
 */
import { startVm } from '../../start-vm.js';
import { type DoctorCheck, type DoctorOptions, messageOf } from './check.js';

export async function checkBoot(options: DoctorOptions): Promise<DoctorCheck> {
	const started = performance.now();
	try {
		await using vm = await startVm({
			...(options.kernel ? { kernel: options.kernel } : {}),
			...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
		});
		const result = await vm.exec('uname -r');
		if (result.exitCode !== 0)
			return {
				name: 'boot',
				status: 'fail',
				detail: `the VM booted but \`uname -r\` exited with ${result.exitCode}: ${result.stderr.trim()}`,
			};
		return {
			name: 'boot',
			status: 'ok',
			detail: `a VM booted and ran a command in ${((performance.now() - started) / 1000).toFixed(1)} s (Linux ${result.stdout.trim()}, ${vm.accel === 'kvm' ? 'KVM' : 'TCG software emulation'})`,
		};
	} catch (error) {
		return { name: 'boot', status: 'fail', detail: messageOf(error), fix: 'run with DEBUG=vm-exec:* for details' };
	}
}
