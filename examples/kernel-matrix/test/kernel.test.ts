/**
 * A spec that runs once per kernel of the matrix (see vitest.config.ts and kernels.ts).
 */
import { inject } from 'vitest';
import { describe, expect, test } from 'vm-exec/vitest';

describe('each kernel of the matrix', () => {
	test('boots the kernel the project asked for', async ({ fileVm }) => {
		const asked = inject('fileVmOptions').kernel;
		const release = (await fileVm.succeed('uname -r')).stdout.trim();
		expect(release).toBe(fileVm.kernel.release);
		if (asked) expect(asked.endsWith(`vmlinuz-${release}`) || fileVm.kernel.path === asked).toBe(true);
	});

	test('loads a module of that kernel and creates a device with it', async ({ fileVm }) => {
		await fileVm.succeed('modprobe dummy && ip link add d0 type dummy && ip link set d0 up');
		expect(await fileVm.exec('ip -o link show d0')).toHaveStdout(/d0: <BROADCAST,NOARP,UP,LOWER_UP>/);
	});

	test('reports its own preemption model', async ({ fileVm }) => {
		const version = (await fileVm.succeed('cat /proc/version')).stdout;
		// The rt flavour says PREEMPT_RT; the standard one PREEMPT_DYNAMIC (or nothing on older kernels).
		expect(version.includes('PREEMPT_RT')).toBe(fileVm.kernel.release.includes('-rt-'));
	});
});
