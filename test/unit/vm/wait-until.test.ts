import { describe, expect, it } from 'vitest';
import { VmWaitTimeoutError } from '../../../src/errors.js';
import type { ExecResult } from '../../../src/vm/exec-result.js';
import { fileCheck, portCheck, splitWaitOptions, waitUntil } from '../../../src/vm/wait-until.js';

function fakeVm(codes: number[]) {
	const calls: { script: string; timeout: number | undefined }[] = [];
	return {
		calls,
		async exec(script: string, options: { timeout?: number } = {}): Promise<ExecResult<string>> {
			calls.push({ script, timeout: options.timeout });
			const exitCode = codes[Math.min(calls.length - 1, codes.length - 1)]!;
			return { script, stdout: `try ${calls.length}\n`, stderr: '', exitCode, durationMs: 1, timedOut: false, isCanceled: false };
		},
	};
}

describe('waitUntil', () => {
	it('retries until the script succeeds and returns that result', async () => {
		const vm = fakeVm([1, 1, 0]);
		const result = await waitUntil(vm, 'check', 'success', { interval: 1, timeout: 5000 });
		expect(result.stdout).toBe('try 3\n');
		expect(vm.calls).toHaveLength(3);
		// Every attempt is bounded by the time left.
		for (const call of vm.calls) expect(call.timeout).toBeGreaterThan(0);
	});

	it('waits for a failure with want: failure', async () => {
		const vm = fakeVm([0, 3]);
		expect((await waitUntil(vm, 'check', 'failure', { interval: 1 })).exitCode).toBe(3);
	});

	it('times out with the last attempt in the error', async () => {
		const vm = fakeVm([2]);
		const error = (await waitUntil(vm, 'check', 'success', { interval: 5, timeout: 30 }).catch((e: unknown) => e)) as VmWaitTimeoutError;
		expect(error).toBeInstanceOf(VmWaitTimeoutError);
		expect(error.exitCode).toBe(2);
		expect(error.stdout).toBe(`try ${vm.calls.length}\n`);
		expect(error.attempts).toBe(vm.calls.length);
		expect(error.message).toMatch(/^waitUntilSucceeds timed out after \d+ ms/);
		expect(error.message).toContain(`try ${vm.calls.length}`);
	});

	it('stops when its signal is aborted', async () => {
		const vm = fakeVm([1]);
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 20);
		const error = (await waitUntil(vm, 'check', 'success', { interval: 5, timeout: 60_000, signal: controller.signal }).catch(
			(e: unknown) => e,
		)) as Error;
		expect(error.message).toMatch(/was canceled after/);
	});
});

describe('wait option and check builders', () => {
	it('splits the wait options from the exec options', () => {
		expect(splitWaitOptions({ timeout: 5, interval: 2, env: { A: 'b' }, user: 'nobody' })).toEqual({
			timeout: 5,
			interval: 2,
			exec: { env: { A: 'b' }, user: 'nobody' },
		});
		expect(splitWaitOptions()).toMatchObject({ timeout: 30_000, interval: 250, exec: {} });
		expect(() => splitWaitOptions({ interval: 0 })).toThrow(/`interval` option/);
	});

	it('quotes paths and checks ports and hosts', () => {
		expect(fileCheck("/tmp/it's")).toBe("test -e '/tmp/it'\\''s'");
		expect(portCheck(80)).toContain('exec 3<>/dev/tcp/127.0.0.1/80');
		expect(portCheck(80, '10.0.2.2')).toContain('/dev/tcp/10.0.2.2/80');
		expect(() => portCheck(0)).toThrow(TypeError);
		expect(() => portCheck(80, 'a b')).toThrow(/`host` option/);
	});
});
