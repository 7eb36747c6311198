import { describe, expect, it } from 'vitest';
import { ResourceStack } from '../../../src/lifecycle/resource-stack.js';

describe('ResourceStack', () => {
	it('runs the undo actions last first, once, even when dispose is called twice', async () => {
		const stack = new ResourceStack();
		const order: string[] = [];
		stack.defer('a', () => order.push('a'));
		stack.defer('b', async () => order.push('b'));
		await Promise.all([stack.dispose(), stack.dispose()]);
		expect(order).toEqual(['b', 'a']);
	});

	it('runs every undo action even when one fails, then reports the failure', async () => {
		const stack = new ResourceStack();
		const order: string[] = [];
		stack.defer('a', () => order.push('a'));
		stack.defer('broken', () => {
			throw new Error('boom');
		});
		await expect(stack.dispose()).rejects.toThrow('Cleanup of broken failed: Error: boom');
		expect(order).toEqual(['a']);
	});

	it('releases a resource acquired after disposal started right away', async () => {
		const stack = new ResourceStack();
		await stack.dispose();
		let released = false;
		stack.defer('late', () => {
			released = true;
		});
		await new Promise((resolve) => setTimeout(resolve, 0));
		expect(released).toBe(true);
	});
});
