/**
 * `vm-exec/vitest`: a Vitest `test` with VM fixtures, `useVm()` for a VM per describe block, and the
 * exec-result matchers.
 *
 * ```ts
 * import { test, expect } from 'vm-exec/vitest'
 * test('dummy devices appear', async ({ vm }) => {
 *   await vm.succeed('modprobe dummy && ip link add d0 type dummy')
 *   expect(await vm.exec('cat /sys/class/net/d0/operstate')).toHaveStdout('down')
 * })
 * ```
 */
import { afterAll, afterEach, beforeAll, beforeEach, test as baseTest, expect, type TestAPI } from 'vitest';
import type { VmOptions } from '../options.js';
import { normalizeOptions } from '../options.js';
import { randomUUID } from 'node:crypto';
import { workerPool } from '../pool/worker-pool.js';
import { startVm } from '../start-vm.js';
import type { Vm } from '../vm/vm.js';
import { reportFailure } from './failure-report.js';
import { hasFailed } from './test-error.js';
import { hasLaterTest, type TaskNode } from './later-tests.js';
import { BLOCK_VM_LABEL, closeOrKeepSharedVm, keepFailedVm, keepOrCloseSlot, noteSharedVmFailure } from './keep-failed.js';
import { type VmMatchers, vmMatchers } from './matchers.js';
import { splitUseVmOptions, type UseVmOptions, type VmGetter, VmSlot } from './use-vm.js';
import { judgeKernelVerdicts, markKernelLog, setKernelPolicy } from './kernel-verdicts.js';
import { answerForKernelLog, createBinding, type TestBinding, VmView } from './vm-view.js';

export { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from 'vitest';
export { vmMatchers, type VmMatchers } from './matchers.js';
export type { UseVmOptions, VmGetter } from './use-vm.js';

expect.extend(vmMatchers);

declare module 'vitest' {
	interface Matchers<T = any> extends VmMatchers<T> {}
	/** Values for the `vmOptions`/`fileVmOptions` fixtures from the config's `provide` (plain data only). */
	interface ProvidedContext {
		vmOptions: VmOptions;
		fileVmOptions: VmOptions;
	}
}

/** The fixtures `vm-exec/vitest` adds to the test context. */
export interface VmFixtures {
	/**
	 * Options of the `vm` fixture, merged over the defaults given to `createVmTest()`. Override them for
	 * a describe block with `test.override({ vmOptions: { cpus: 2 } })`, or for the whole run with
	 * `provide: { vmOptions: {…} }` in the Vitest config.
	 */
	vmOptions: VmOptions;
	/** A fresh VM for this test, booted only when the test (or a hook) asks for it, closed after it. */
	vm: Vm;
	/**
	 * Options of the `fileVm` fixture, merged over the `createVmTest()` defaults. A file-scoped fixture:
	 * override it at the top level of a file (`test.override({ fileVmOptions: {…} })`) or via `provide`.
	 */
	fileVmOptions: VmOptions;
	/**
	 * One VM shared by every test of the file that asks for it (booted by the first, closed when the file
	 * is done), also available in `test.beforeAll`/`test.afterAll`. Each test gets its own view of it:
	 * its commands are killed when that test times out, and only that test's failure report shows them.
	 * This holds under `test.concurrent` too; the VM itself (its files, modules, network) is still shared,
	 * so concurrent tests must not depend on what the others change.
	 */
	fileVm: Vm;
}

/** The `test` function `createVmTest()` returns. */
export type VmTestAPI = TestAPI<VmFixtures>;

/** What Vitest gives a fixture about the test it runs for. */
interface TestLike {
	signal: AbortSignal;
	task: Parameters<typeof reportFailure>[0] & { context: { fileVm?: Vm } };
}

/**
 * Give this test its own view of the file VM. `fileVm` is file-scoped (one VM for the file, usable in
 * `test.beforeAll`), and Vitest writes its value onto the test's context (`task.context`) whenever the
 * test or one of its hooks asks for it; the accessor defined here hands the test a view of that VM bound
 * to this test instead. Its execs run under this test's signal and are recorded for this test's report,
 * so tests running at once (`test.concurrent`) never get each other's timeout or failure report.
 */
function bindFileVmToTest(context: { fileVm?: Vm }, binding: TestBinding): void {
	// This fixture is set up before the others, but take over a value already there all the same.
	let fileVm: Vm | undefined = context.fileVm;
	let view: VmView | undefined;
	Object.defineProperty(context, 'fileVm', {
		configurable: true,
		enumerable: true,
		get: () => {
			if (!fileVm) return undefined;
			// A test that gets the file's VM answers for what its kernel logs during the test (kernel-verdicts.ts).
			answerForKernelLog(binding, fileVm);
			return (view ??= new VmView(fileVm, () => binding));
		},
		set: (value: Vm) => {
			if (value !== fileVm) view = undefined;
			fileVm = value;
		},
	});
}

/**
 * A Vitest `test` whose VMs start with these defaults (for example `{ memory: '512M', shared: true }`).
 * Export it from a module of your project and import `test` from there.
 */
export function createVmTest(defaults: VmOptions = {}): VmTestAPI {
	normalizeOptions(defaults);
	const fileVms = new WeakSet<Vm>();
	/** The file VMs that are up: a test that starts now answers for their kernel logs from now on. */
	const upFileVms = new Set<Vm>();
	const label = (vm: Vm) => (fileVms.has(vm) ? 'file VM `fileVm`' : 'test VM `vm`');
	const fixtures = {
		// Set up first for every test (cheap: no VM): gives the test's VM views its signal, and reports
		// what the VMs it used did when it fails.
		vmExecBinding: [
			async ({ signal, task }: TestLike, use: (value: TestBinding) => Promise<void>) => {
				const binding = createBinding(signal, upFileVms);
				bindFileVmToTest(task.context, binding);
				try {
					await use(binding);
				} finally {
					// The kernel's verdict on the file VMs this test used (its `vm` was judged by its own fixture).
					const judged = [...binding.kernelMarks].map(([vm, mark]) => ({ vm, label: label(vm), mark }));
					const kernelError = await judgeKernelVerdicts(task, judged);
					// keep: 'failed': a failed test's file VM is kept once the file is done (see keep-failed.ts).
					const usedFileVms = hasFailed(task) ? [...binding.used.keys()].filter((vm) => fileVms.has(vm)) : [];
					reportFailure(task, binding, label);
					for (const vm of usedFileVms) noteSharedVmFailure(vm, task, 'the file VM `fileVm`');
					if (kernelError) throw kernelError;
				}
			},
			{ auto: true },
		],
		// Names the file's VMs started ahead in the warm pool, and those closing in the background: the file
		// is done once they are closed.
		vmExecFile: [
			async ({}, use: (value: string) => Promise<void>) => {
				const scope = randomUUID();
				try {
					await use(scope);
				} finally {
					await workerPool().endScope(scope);
				}
			},
			{ scope: 'file' },
		],
		vmOptions: [{}, { injected: true }],
		vm: async (
			{
				vmOptions,
				vmExecBinding,
				vmExecFile,
				signal,
				task,
			}: TestLike & { vmOptions: VmOptions; vmExecBinding: TestBinding; vmExecFile: string },
			use: (value: Vm) => Promise<void>,
		) => {
			// From the warm pool when one of these options waits there; the next one starts ahead meanwhile.
			// The test's signal also aborts the boot when the test times out during it.
			// None starts ahead during the file's last test: nothing would take it before the file ends.
			// The VM runs with kernelReports: 'report' (its execs never reject for a kernel report); the test is
			// judged by the user's policy when it ends (kernel-verdicts.ts).
			const options = { ...defaults, ...vmOptions };
			const { vm } = await workerPool().acquire(
				{ ...options, kernelReports: 'report', signal: vmOptions.signal ?? signal },
				{ scope: vmExecFile, refill: hasLaterTest(task as TaskNode) },
			);
			setKernelPolicy(vm, options.kernelReports);
			const mark = markKernelLog(vm);
			let kernelError: Error | undefined;
			try {
				vmExecBinding.used.set(vm, undefined);
				await use(new VmView(vm, () => vmExecBinding));
			} finally {
				// Judged while the VM is up: after the test's own assertions, before the failure report.
				vmExecBinding.kernelMarks.delete(vm);
				kernelError = await judgeKernelVerdicts(task, [{ vm, label: label(vm), mark }]);
				// Report while the VM is still up, then close it whatever the outcome (or keep it: keep: 'failed').
				if (hasFailed(task)) reportFailure(task, vmExecBinding, label);
				// Closed in the background (the next test need not wait for QEMU to exit); the file's end waits for it.
				if (!(hasFailed(task) && (await keepFailedVm(vm, task ?? {})))) workerPool().release(vm, { scope: vmExecFile });
			}
			if (kernelError) throw kernelError;
		},
		fileVmOptions: [{}, { scope: 'file', injected: true }],
		// The VM itself: suite hooks get it as it is, each test a view of it (see bindFileVmToTest).
		fileVm: [
			async ({ fileVmOptions }: { fileVmOptions: VmOptions }, use: (value: Vm) => Promise<void>) => {
				const options = { ...defaults, ...fileVmOptions };
				const vm = await startVm({ ...options, kernelReports: 'report' });
				fileVms.add(vm);
				setKernelPolicy(vm, options.kernelReports);
				upFileVms.add(vm);
				try {
					await use(vm);
				} finally {
					upFileVms.delete(vm);
					await closeOrKeepSharedVm(vm);
				}
			},
			{ scope: 'file' },
		],
	};
	// Vitest infers fixture types from the functions; the internal binding stays out of the public type.
	return baseTest.extend(fixtures as never) as unknown as VmTestAPI;
}

/** A Vitest `test` with the `vm`, `fileVm`, `vmOptions` and `fileVmOptions` fixtures, with default options. */
export const test: VmTestAPI = createVmTest();
/** Alias of `test`. */
export const it: VmTestAPI = test;

/**
 * One VM for the enclosing `describe` block (`per: 'suite'`, the default) or a fresh one per test
 * (`per: 'test'`). Returns a function that gives the VM inside tests and hooks.
 *
 * ```ts
 * describe('sysctl', () => {
 *   const vm = useVm({ memory: '512M' })
 *   test('sets forwarding', async () => { await vm().succeed('sysctl -w net.ipv4.ip_forward=1') })
 * })
 * ```
 */
export function useVm(options: UseVmOptions = {}): VmGetter {
	const { per, vmOptions, hookTimeout } = splitUseVmOptions(options);
	const slot = new VmSlot(per);
	const views = new WeakMap<Vm, VmView>();
	let binding: TestBinding | undefined;
	if (per === 'suite') {
		beforeAll(() => slot.start(vmOptions), hookTimeout);
		afterAll(() => keepOrCloseSlot(slot), hookTimeout);
	}
	const label = () => `${per === 'suite' ? 'describe-block' : 'per-test'} VM from useVm()`;
	beforeEach(async ({ signal }) => {
		binding = createBinding(signal, slot.current ? [slot.current] : []);
		if (per === 'test') {
			await slot.start({ ...vmOptions, signal: vmOptions.signal ?? signal });
			// A test answers for the kernel log of its own VM from the start.
			answerForKernelLog(binding, slot.get());
		}
	}, hookTimeout);
	// A VM started ahead for a next test that will not come.
	if (per === 'test') afterAll(() => slot.endScope(), hookTimeout);
	afterEach(async ({ task }) => {
		// The kernel's verdict first, while the VM is up, after the test's own assertions.
		const judged = [...(binding?.kernelMarks ?? [])].map(([vm, mark]) => ({ vm, label: label(), mark }));
		const kernelError = await judgeKernelVerdicts(task, judged);
		const usedVm = hasFailed(task) && slot.current && binding?.used.has(slot.current) ? slot.current : undefined;
		if (hasFailed(task)) reportFailure(task, binding, label);
		binding = undefined;
		if (per === 'test') await keepOrCloseSlot(slot, usedVm && task);
		else if (usedVm) noteSharedVmFailure(usedVm, task, BLOCK_VM_LABEL);
		if (kernelError) throw kernelError;
	}, hookTimeout);
	return () => {
		const vm = slot.get();
		let view = views.get(vm);
		if (!view) {
			view = new VmView(vm, () => binding);
			views.set(vm, view);
		}
		return view;
	};
}
