import { describe, expect, it } from 'vitest';
import type { KernelInfo } from '../../../src/kernel/kernel.js';
import { normalizeOptions } from '../../../src/options/normalize-vm-options.js';
import { planGuestSettings } from '../../../src/start/plan.js';

const kernel = { release: '6.1.0-57-amd64', modulesDir: '/lib/modules/6.1.0-57-amd64' } as KernelInfo;

describe('planGuestSettings', () => {
	it('exposes a working directory the guest hides under its own /tmp', () => {
		expect(planGuestSettings(normalizeOptions({ cwd: '/tmp/project' }), kernel, undefined).expose).toEqual(['/tmp/project']);
		expect(planGuestSettings(normalizeOptions({ cwd: '/home/me/project' }), kernel, undefined).expose).toEqual([]);
	});

	it('exposes the working directory also when it is the shared directory, so execs can still change to it', () => {
		const settings = planGuestSettings(normalizeOptions({ cwd: '/tmp/project', shared: '/tmp/project' }), kernel, '/tmp/project');
		expect(settings).toMatchObject({ shared: true, expose: ['/tmp/project'] });
	});

	describe('in another root (`root` option)', () => {
		const root = '/srv/guest-root';
		const plan = (modulesDir: string, options: Parameters<typeof normalizeOptions>[0] = {}, sharedDir?: string) =>
			planGuestSettings(normalizeOptions({ root, ...options }), { ...kernel, modulesDir }, sharedDir);

		it('exposes no host path, not even a working directory under /tmp: paths there are the root’s', () => {
			expect(plan('/lib/modules/6.1.0-57-amd64', { cwd: '/tmp/project' }).expose).toEqual([]);
		});

		it('shares a modules directory outside the root, and names no modules directory in it', () => {
			expect(plan('/lib/modules/6.1.0-57-amd64')).toMatchObject({ modulesShare: true, modulesDir: undefined });
			// A sibling whose name starts like the root's is outside it too.
			expect(plan('/srv/guest-root-modules/6.1.0-57-amd64')).toMatchObject({ modulesShare: true, modulesDir: undefined });
		});

		it('uses modules inside the root where they are: nothing to name at the default place, the path in the root elsewhere', () => {
			expect(plan(`${root}/lib/modules/6.1.0-57-amd64`)).toMatchObject({ modulesShare: false, modulesDir: undefined });
			expect(plan(`${root}/usr/lib/modules/6.1.0-57-amd64`)).toMatchObject({ modulesShare: false, modulesDir: undefined });
			expect(plan(`${root}/opt/modules/6.1.0-57-amd64`)).toMatchObject({ modulesShare: false, modulesDir: '/opt/modules/6.1.0-57-amd64' });
		});

		it('says whether there is a shared directory, and the same host name and devices as on the host’s root', () => {
			const settings = plan(`${root}/lib/modules/6.1.0-57-amd64`, { shared: '/home/me/shared' }, '/home/me/shared');
			expect(settings).toEqual({
				hostname: 'vm-exec',
				shared: true,
				expose: [],
				modulesDir: undefined,
				modulesShare: false,
				extraDevices: false,
				ideDrives: false,
			});
			expect(plan(`${root}/lib/modules/6.1.0-57-amd64`).shared).toBe(false);
			expect(plan(`${root}/lib/modules/6.1.0-57-amd64`, { qemuArgs: ['-device', 'e1000'] }).extraDevices).toBe(true);
		});
	});
});
