/**
 * The runner-independent part of `useVm()`: one VM per describe block (`per: 'suite'`) or per test
 * (`per: 'test'`), started and closed by the runner's hooks.
 */
import { randomUUID } from 'node:crypto';
import { normalizeOptions, type VmOptions } from '../options.js';
import { workerPool } from '../pool/worker-pool.js';
import { setKernelPolicy } from './kernel-verdicts.js';
import { startVm } from '../start-vm.js';
import type { Vm } from '../vm/vm.js';

/** Options of `useVm()`: the VM's options, plus how long it lives. */
export interface UseVmOptions extends VmOptions {
	/**
	 * `'suite'`: one VM for the enclosing `describe` block (or file), started in `beforeAll` and closed
	 * in `afterAll`. `'test'`: a fresh VM for every test, started in `beforeEach`, closed in `afterEach`;
	 * the next test's VM starts in the background meanwhile (the warm pool, see the `pool` option).
	 * @default 'suite'
	 */
	per?: 'suite' | 'test';
}

/** What `useVm()` returns: call it inside a test or hook to get the VM. */
export type VmGetter = () => Vm;

/** Split and validate `useVm()` options at describe time, so a typo fails before any VM boots. */
export function splitUseVmOptions(options: UseVmOptions): { per: 'suite' | 'test'; vmOptions: VmOptions; hookTimeout: number } {
	if (typeof options !== 'object' || options === null || Array.isArray(options)) {
		throw new TypeError(`Expected the useVm() options to be an object, got ${options === null ? 'null' : typeof options}.`);
	}
	const { per = 'suite', ...vmOptions } = options;
	if (per !== 'suite' && per !== 'test') {
		throw new TypeError(`Expected the \`per\` option to be \`'suite'\` or \`'test'\`, got \`${JSON.stringify(per)}\`.`);
	}
	const normalized = normalizeOptions(vmOptions);
	// The hooks that boot and close the VM need more than the runners' default 5-10 s under emulation.
	return { per, vmOptions, hookTimeout: normalized.bootTimeout + 30_000 };
}

/** Holds the VM of one `useVm()` call between its hooks. */
export class VmSlot {
	#vm: Vm | undefined;
	#state: 'idle' | 'starting' | 'failed' = 'idle';
	readonly #per: 'suite' | 'test';
	/** Names this useVm() call's VMs started ahead in the warm pool, closed by `endScope()`. */
	readonly #scope = randomUUID();

	constructor(per: 'suite' | 'test') {
		this.#per = per;
	}

	async start(options: VmOptions): Promise<void> {
		this.#state = 'starting';
		try {
			// The VM runs with kernelReports: 'report' (its execs never reject for a kernel report); each test is
			// judged by the user's policy when it ends (kernel-verdicts.ts).
			const vmOptions: VmOptions = { ...options, kernelReports: 'report' };
			this.#vm = this.#per === 'test' ? (await workerPool().acquire(vmOptions, { scope: this.#scope })).vm : await startVm(vmOptions);
			setKernelPolicy(this.#vm, options.kernelReports);
			this.#state = 'idle';
		} catch (error) {
			this.#state = 'failed';
			throw error;
		}
	}

	/**
	 * Give the VM up without closing it: the caller closes it with `dispose()`, or hands a failed test's VM to
	 * a keeper (keep: 'failed'; keepOrCloseSlot in keep-failed.ts).
	 */
	release(): Vm | undefined {
		const vm = this.#vm;
		this.#vm = undefined;
		if (this.#state !== 'failed') this.#state = 'idle';
		return vm;
	}

	/**
	 * Close a VM this slot gave up. A per-test VM closes in the background (the next test need not wait for
	 * QEMU to exit); `endScope()` waits for it.
	 */
	async dispose(vm: Vm): Promise<void> {
		if (this.#per === 'test') workerPool().release(vm, { scope: this.#scope });
		else await vm.close();
	}

	/** The VM, if one is up (unlike `get()`, never throws). */
	get current(): Vm | undefined {
		return this.#vm;
	}

	/** Close the VMs the warm pool started ahead for this slot, and wait for those closing (its block is done). */
	async endScope(): Promise<void> {
		await workerPool().endScope(this.#scope);
	}

	get(): Vm {
		if (this.#vm) return this.#vm;
		if (this.#state === 'failed') throw new Error('useVm(): the VM failed to start; see the error of the hook that started it.');
		const hook = this.#per === 'suite' ? 'beforeAll' : 'beforeEach';
		throw new Error(
			`useVm(): there is no VM yet. Call the function useVm() returned inside a test or a hook that runs after useVm()'s ${hook}, not directly in the describe() body.`,
		);
	}
}
