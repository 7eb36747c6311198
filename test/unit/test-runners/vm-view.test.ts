/**
 * The per-test view of a VM (pure logic, with a stand-in VM): it passes the test's signal to every
 * exec, remembers the last command for the failure report, and otherwise behaves like the VM.
 */
import { describe, expect, test } from 'vitest';
import { describeVmForFailure, reportFailure } from '../../../src/test-runners/failure-report.js';
import { createBinding, type TestBinding, VmView } from '../../../src/test-runners/vm-view.js';
import type { ExecOptions } from '../../../src/options.js';
import type { Vm } from '../../../src/vm/vm.js';
import { NO_KERNEL_LOG } from '../../../src/kernel-log/kernel-verdict.js';

/** A stand-in with a private field, like the real Vm, to prove methods run with the real `this`. */
class FakeVm {
	readonly #console = '[    1.0] booted\n[    2.0] oops: something in the kernel\n';
	readonly pid = 4242;
	readonly kernel = { release: '6.1.0-test' };
	/** A VM's kernel log (empty here): the view marks where each test's part of it begins. */
	readonly kernelLog = NO_KERNEL_LOG;
	seenOptions: ExecOptions | undefined;

	get consoleLog(): string {
		return this.#console;
	}

	async exec(script: string, options?: ExecOptions) {
		this.seenOptions = options;
		const exitCode = script === 'false' ? 1 : 0;
		return { script, stdout: '', stderr: exitCode ? 'it failed\n' : '', exitCode, durationMs: 1, timedOut: false, isCanceled: false };
	}

	async succeed(script: string, options?: ExecOptions) {
		const result = await this.exec(script, options);
		if (result.exitCode !== 0) throw Object.assign(new Error('failed'), result);
		return result;
	}

	#closed = false;

	get closed(): boolean {
		return this.#closed;
	}

	async close(): Promise<void> {
		this.#closed = true;
	}
}

function viewOf(binding: TestBinding | undefined): { fake: FakeVm; view: Vm } {
	const fake = new FakeVm();
	return { fake, view: new VmView(fake as unknown as Vm, () => binding) };
}

describe('VmView', () => {
	test('passes the test signal to exec when the call gives none', async () => {
		const controller = new AbortController();
		const { fake, view } = viewOf(createBinding(controller.signal));
		await view.exec('true');
		expect(fake.seenOptions?.signal).toBe(controller.signal);
	});

	test('combines the test signal with the signal the call gives', async () => {
		const test = new AbortController();
		const own = new AbortController();
		const { fake, view } = viewOf(createBinding(test.signal));
		await view.exec('true', { signal: own.signal, timeout: 5 });
		const combined = fake.seenOptions?.signal;
		expect(fake.seenOptions?.timeout).toBe(5);
		expect(combined?.aborted).toBe(false);
		test.abort();
		expect(combined?.aborted).toBe(true);
	});

	test('passes options through untouched outside a test', async () => {
		const { fake, view } = viewOf(undefined);
		await view.exec('true');
		expect(fake.seenOptions).toBeUndefined();
	});

	test('remembers the last command, also when succeed() throws', async () => {
		const binding = createBinding(undefined);
		const { fake, view } = viewOf(binding);
		await view.exec('true');
		await expect(view.succeed('false')).rejects.toThrow('failed');
		expect(binding.used.get(fake as unknown as Vm)).toMatchObject({ script: 'false', exitCode: 1, stderr: 'it failed\n' });
	});

	test('keeps the signals and records of two views of one VM apart', async () => {
		const fake = new FakeVm();
		const first = createBinding(new AbortController().signal);
		const second = createBinding(new AbortController().signal);
		const firstView = new VmView(fake as unknown as Vm, () => first);
		const secondView = new VmView(fake as unknown as Vm, () => second);
		const running = firstView.exec('true');
		expect(fake.seenOptions?.signal).toBe(first.signal);
		await secondView.exec('false');
		expect(fake.seenOptions?.signal).toBe(second.signal);
		await running;
		expect(first.used.get(fake as unknown as Vm)).toMatchObject({ script: 'true', exitCode: 0 });
		expect(second.used.get(fake as unknown as Vm)).toMatchObject({ script: 'false', exitCode: 1 });
	});

	test('keeps getters and methods that use private fields working', async () => {
		const { view } = viewOf(undefined);
		expect(view.consoleLog).toContain('booted');
		await view.close();
		expect(view.closed).toBe(true);
		expect(view.pid).toBe(4242);
	});
});

describe('reportFailure', () => {
	test('appends the console tail and the last command to the first error, once', async () => {
		const binding = createBinding(undefined);
		const { view } = viewOf(binding);
		await view.exec('false');
		const task = {
			result: {
				state: 'fail',
				errors: [{ message: 'expected 1 to be 2', stack: 'AssertionError: expected 1 to be 2\n    at x.test.ts:1:1' }],
			},
		};
		reportFailure(task, binding, () => 'test VM `vm`');
		reportFailure(task, binding, () => 'test VM `vm`');
		const [error] = task.result.errors;
		expect(error?.message).toBe(
			`expected 1 to be 2${describeVmForFailure('test VM `vm`', view, { script: 'false', exitCode: 1, stderr: 'it failed\n', timedOut: false, isCanceled: false })}`,
		);
		expect(error?.message).toContain('Last command (exited with code 1): false\n  its stderr ended with:\n  | it failed');
		expect(error?.message).toContain('Guest console ended with:\n  | [    1.0] booted\n  | [    2.0] oops: something in the kernel');
		expect(error?.stack).toContain('── vm-exec: test VM `vm`, QEMU pid 4242, kernel 6.1.0-test ──');
		expect(error?.stack?.match(/vm-exec:/g)).toHaveLength(1);
	});

	test('leaves a passing test alone', async () => {
		const binding = createBinding(undefined);
		const { view } = viewOf(binding);
		await view.exec('true');
		const task = { result: { state: 'pass', errors: [{ message: 'unrelated' }] } };
		reportFailure(task, binding, () => 'vm');
		expect(task.result.errors[0]?.message).toBe('unrelated');
	});
});
