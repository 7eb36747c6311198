import { describe, expect, it } from 'vitest';
import { withAbort, withDeadline } from '../../../src/lifecycle/wait.js';

describe('withDeadline', () => {
	it('resolves with the promise when it settles first', async () => {
		await expect(withDeadline(Promise.resolve(7), { ms: 1000, onDeadline: () => new Error('late') })).resolves.toBe(7);
	});

	it('rejects with the deadline error when time runs out', async () => {
		await expect(withDeadline(new Promise(() => {}), { ms: 10, onDeadline: () => new Error('too slow') })).rejects.toThrow('too slow');
	});

	it('rejects with the abort reason, and a later rejection of the promise stays handled', async () => {
		const unhandled: unknown[] = [];
		const onUnhandled = (reason: unknown) => unhandled.push(reason);
		process.on('unhandledRejection', onUnhandled);
		try {
			const controller = new AbortController();
			controller.abort(new Error('stop'));
			let rejectLater!: (error: Error) => void;
			const pending = new Promise<never>((_, reject) => {
				rejectLater = reject;
			});
			await expect(withDeadline(pending, { ms: 0, signal: controller.signal, onDeadline: () => new Error('late') })).rejects.toThrow(
				'stop',
			);
			rejectLater(new Error('QEMU exited'));
			await new Promise((resolve) => setTimeout(resolve, 20));
			expect(unhandled).toEqual([]);
		} finally {
			process.off('unhandledRejection', onUnhandled);
		}
	});
});

describe('withAbort', () => {
	it('settles like the promise without a signal, and rejects (never throws) with the reason of an aborted one', async () => {
		await expect(withAbort(Promise.resolve(3), undefined)).resolves.toBe(3);
		const controller = new AbortController();
		controller.abort(new Error('gave up'));
		const result = withAbort(new Promise(() => {}), controller.signal);
		await expect(result).rejects.toThrow('gave up');
	});
});
