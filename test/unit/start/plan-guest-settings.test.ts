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
});
