/**
 * `vm-exec shell [options] [-- qemu args]` (and `vm-exec` with no script, on a terminal): boot a fresh VM
 * with the same options as a script run, open an interactive login shell in it on a real guest terminal,
 * and exit with the shell's exit status (`exit 3` → 3).
 */
import { VmBootError, VmError, VmUnresponsiveError } from '../../errors.js';
import { findOnPath } from '../../qemu/host-tools.js';
import { startVm } from '../../start-vm.js';
import type { Vm } from '../../vm/vm.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { RunArgs } from '../args/parse-args.js';
import { type RunIo, toVmOptions } from '../run-script.js';
import { UsageError } from '../args/usage-error.js';
import { runShellSession } from './run-shell-session.js';
import { openShellSession } from '../../shell/shell-session.js';

export function assertTerminal(io: RunIo, what: string): void {
	if (!io.stdin.isTTY || !(io.stdout as NodeJS.WriteStream).isTTY) {
		throw new UsageError(
			`${what} needs a terminal on stdin and stdout. To run commands without one, pass them as a script: \`vm-exec "uname -r"\`.`,
		);
	}
}

export async function runShellCommand(args: RunArgs, io: RunIo): Promise<number> {
	assertTerminal(io, 'An interactive shell');
	const report = (message: string) => io.stderr.write(`vm-exec: ${message}\r\n`);
	const controller = new AbortController();
	// In raw mode ^C is a byte for the guest; these come from elsewhere (kill, a closed terminal).
	const stop = () => controller.abort(new Error('vm-exec was stopped'));
	for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
	let vm: Vm | undefined;
	try {
		const started = performance.now();
		try {
			vm = await startVm({
				...toVmOptions(args, controller.signal, await findOnPath('bash')),
				onProgress: (message) => report(message),
			});
		} catch (error) {
			if (error instanceof TypeError) throw new UsageError(error.message);
			report(error instanceof Error ? error.message : String(error));
			return error instanceof VmBootError ? EXIT_CODES.bootFailure : EXIT_CODES.crash;
		}
		if (!args.quiet) {
			report(
				`VM up in ${((performance.now() - started) / 1000).toFixed(1)} s (Linux ${vm.kernel.release}, ${vm.accel === 'kvm' ? 'KVM' : 'TCG'}); \`exit\` leaves it`,
			);
		}
		if (vm.gdb) report(`gdb stub: ${vm.gdb.command} /usr/lib/debug/boot/vmlinux-${vm.kernel.release}`);
		const booted = vm;
		let status: number | undefined;
		try {
			status = await runShellSession((size, env) => openShellSession(booted, { size, env, norc: args.norc }), io, controller.signal);
		} catch (error) {
			// The VM's own failures (a console port that cannot be added, a guest that stopped answering) are
			// reported like a script run's: their message, and the status that says which.
			if (!(error instanceof VmError)) throw error;
			report(error.message);
			return error instanceof VmUnresponsiveError ? EXIT_CODES.unresponsive : EXIT_CODES.crash;
		}
		if (status === undefined) {
			report('the VM stopped before the shell ended.');
			return EXIT_CODES.crash;
		}
		return status;
	} finally {
		for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.off(signal, stop);
		await vm?.close().catch(() => {});
	}
}
