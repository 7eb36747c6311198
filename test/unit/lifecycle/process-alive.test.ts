import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isProcessAlive } from '../../../src/lifecycle/process-alive.js';

function killError(code: string): NodeJS.ErrnoException {
	return Object.assign(new Error(`kill ${code}`), { code });
}

afterEach(() => {
	vi.restoreAllMocks();
});

describe('isProcessAlive', () => {
	it('says this process is alive', () => {
		expect(isProcessAlive(process.pid)).toBe(true);
	});

	it('says a process that exited and was reaped is gone', async () => {
		const child = spawn(process.execPath, ['-e', '']);
		await once(child, 'exit');
		expect(child.pid).toBeTypeOf('number');
		expect(isProcessAlive(child.pid)).toBe(false);
	});

	it('says there is no process without a pid', () => {
		expect(isProcessAlive(undefined)).toBe(false);
	});

	it('counts a process of another user (EPERM) as alive: it exists, we just may not signal it', () => {
		const kill = vi.spyOn(process, 'kill').mockImplementation(() => {
			throw killError('EPERM');
		});
		expect(isProcessAlive(4242)).toBe(true);
		expect(kill).toHaveBeenCalledWith(4242, 0);
	});

	it('counts ESRCH as gone', () => {
		vi.spyOn(process, 'kill').mockImplementation(() => {
			throw killError('ESRCH');
		});
		expect(isProcessAlive(4242)).toBe(false);
	});
});
