/**
 * runInVm(): the seed's one-shot semantics: boot, run one script, power off.
 */
import type { ExecResult } from './vm/exec-result.js';
import type { ExecOptions, VmOptions } from './options.js';
import { startVm } from './start-vm.js';

export type RunInVmOptions<Encoding extends 'utf8' | 'buffer' = 'utf8' | 'buffer'> = VmOptions &
	Omit<ExecOptions<Encoding>, 'env' | 'cwd' | 'signal'>;

/** Boot a VM, run `script` in it, close it; resolves with the script's result (whatever its exit status). */
export async function runInVm(script: string, options?: RunInVmOptions<'utf8'>): Promise<ExecResult<string>>;
export async function runInVm(script: string, options: RunInVmOptions<'buffer'>): Promise<ExecResult<Buffer>>;
export async function runInVm(script: string, options: RunInVmOptions = {}): Promise<ExecResult<string | Buffer>> {
	const { timeout, input, encoding, onStdout, onStderr, ...vmOptions } = options;
	const execOptions: ExecOptions = {};
	if (timeout !== undefined) execOptions.timeout = timeout;
	if (input !== undefined) execOptions.input = input;
	if (encoding !== undefined) execOptions.encoding = encoding;
	if (onStdout !== undefined) execOptions.onStdout = onStdout;
	if (onStderr !== undefined) execOptions.onStderr = onStderr;
	if (vmOptions.signal !== undefined) execOptions.signal = vmOptions.signal;
	const vm = await startVm(vmOptions);
	try {
		return await vm.exec(script, execOptions);
	} finally {
		await vm.close();
	}
}
