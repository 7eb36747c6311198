/**
 * `vm-exec [options] "script" [-- qemu args]`: boot, run the script with its output streamed through byte
 * for byte, stop the VM, and exit with the script's status (or one of vm-exec's own, see exit-codes.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { VmBootError, VmUnresponsiveError } from '../errors.js';
import {
	describeKernelReport,
	describeTaint,
	isKernelFailure,
	type KernelVerdict,
	taintChange,
	unexplainedTaint,
} from '../kernel-log/kernel-verdict.js';
import { findOnPath } from '../qemu/host-tools.js';
import type { VmOptions } from '../options.js';
import { startVm } from '../start-vm.js';
import type { Vm } from '../vm/vm.js';
import type { CliIo } from './cli-io.js';
import { EXIT_CODES, exitCodeForSignal } from './exit-codes.js';
import type { RunArgs } from './args/parse-args.js';
import { readStdinUnlessTty } from './read-stdin.js';
import { UsageError } from './args/usage-error.js';

export interface RunIo extends CliIo {
	stdin: NodeJS.ReadStream;
	/** Progress lines are for a person watching: shown only when stderr is a terminal and not `--quiet`. */
	stderrIsTty: boolean;
}

type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** How long a stopped script may take to end before the VM is closed under it. */
const STOP_GRACE_MS = 3000;

/**
 * The seed runs the CLI's script with bash, so we do too: the host's bash (the guest's root is the host's
 * /) is the VM's shell, which sources the script as it is. Without bash, /bin/sh.
 */
export function toVmOptions(args: RunArgs, signal: AbortSignal, bash: string | undefined): VmOptions {
	const options: VmOptions = {
		qemuArgs: args.qemuArgs,
		env: args.env,
		console: args.initrdConsole ? 'inherit' : 'capture',
		signal,
	};
	if (args.shared !== undefined) options.shared = args.shared;
	if (args.kernel !== undefined) options.kernel = args.kernel;
	if (args.modules !== undefined) options.modules = args.modules;
	if (args.arch !== undefined) options.arch = args.arch as NonNullable<VmOptions['arch']>;
	if (args.root !== undefined) options.root = args.root;
	if (args.memory !== undefined) options.memory = args.memory;
	if (args.cpus !== undefined) options.cpus = args.cpus;
	if (args.accel !== undefined) options.accel = args.accel;
	if (args.launcher !== undefined) options.launcher = args.launcher;
	if (args.network) options.network = true;
	if (args.lan !== undefined) options.lan = args.lan;
	if (args.disks.length > 0) options.disks = args.disks;
	if (args.gdb) options.gdb = true;
	if (args.root !== undefined) {
		const shell = rootScriptShell(args.root);
		if (shell) options.shell = shell;
	} else if (bash !== undefined && args.launcher === undefined) options.shell = bash;
	return options;
}

/** Another root has its own shells: the CLI runs scripts with its bash when it has one, else its /bin/sh (undefined). */
export function rootScriptShell(root: string): string | undefined {
	return existsSync(path.join(root, 'bin', 'bash')) ? '/bin/bash' : undefined;
}

/** The notice of a kernel report during the script: what the kernel said, in a few lines, and what to do next. */
export function describeKernelNotice(verdict: KernelVerdict, exitCode: number | undefined, scriptStatus: number): string {
	const what = [
		...verdict.reports.map((report) => describeKernelReport(report, 4)),
		...(unexplainedTaint(verdict.taint.failing, verdict.reports).length > 0
			? [`the kernel became tainted: ${describeTaint(unexplainedTaint(verdict.taint.failing, verdict.reports))}`]
			: []),
	];
	const count = what.length;
	const head = `the guest kernel reported ${count === 1 ? 'a problem' : `${count} problems`} while the script ran (docs/kernel-reports.md):`;
	const tail =
		exitCode === undefined
			? '(--kernel-reports=fail exits with a status of its own for it; the script exited with ' + scriptStatus + ')'
			: `(exit status ${exitCode}; the script itself exited with ${scriptStatus})`;
	return `${head}\n${what.map((text) => `  ${text.replaceAll('\n', '\n  ')}`).join('\n')}\n${tail}`;
}

function describeVm(vm: Vm, args: RunArgs): string {
	if (args.launcher) return `with the launcher ${args.launcher.join(' ')}`;
	return `(Linux ${vm.kernel.release}, ${vm.accel === 'kvm' ? 'KVM' : 'TCG software emulation'})`;
}

/** Stop on SIGINT/SIGTERM/SIGHUP: the first one stops the script and the VM cleanly, a second one exits at once. */
function handleStopSignals(controller: AbortController): { received(): StopSignal | undefined; remove(): void } {
	let received: StopSignal | undefined;
	const handlers = STOP_SIGNALS.map((signal) => {
		const handler = () => {
			// QEMU runs under a parent-death signal, so exiting at once does not leak it.
			if (received) process.exit(exitCodeForSignal(signal));
			received = signal;
			controller.abort(new Error(`vm-exec received ${signal}`));
		};
		process.on(signal, handler);
		return [signal, handler] as const;
	});
	return {
		received: () => received,
		remove: () => {
			for (const [signal, handler] of handlers) process.off(signal, handler);
		},
	};
}

export async function runScriptCommand(args: RunArgs, io: RunIo): Promise<number> {
	const progress = (message: string) => {
		if (!args.quiet && io.stderrIsTty) io.stderr.write(`vm-exec: ${message}\n`);
	};
	const report = (message: string) => io.stderr.write(`vm-exec: ${message}\n`);
	const controller = new AbortController();
	const signals = handleStopSignals(controller);
	const input = readStdinUnlessTty(io.stdin);
	input.catch(() => {});
	let vm: Vm | undefined;
	// A stopped script normally ends at once (its processes are killed); a guest that no longer answers
	// (halted, hung) must not keep vm-exec waiting: closing the VM ends the pending exec.
	let stopTimer: NodeJS.Timeout | undefined;
	controller.signal.addEventListener(
		'abort',
		() => {
			stopTimer = setTimeout(() => void vm?.close().catch(() => {}), STOP_GRACE_MS);
		},
		{ once: true },
	);
	try {
		const started = performance.now();
		try {
			// onProgress: the one line a first start with a new configuration prints while it saves its snapshot.
			vm = await startVm({ ...toVmOptions(args, controller.signal, await findOnPath('bash')), onProgress: progress });
		} catch (error) {
			const signal = signals.received();
			if (signal) return exitCodeForSignal(signal);
			if (error instanceof TypeError) throw new UsageError(error.message);
			report(error instanceof Error ? error.message : String(error));
			return error instanceof VmBootError ? EXIT_CODES.bootFailure : EXIT_CODES.crash;
		}
		progress(`VM up in ${((performance.now() - started) / 1000).toFixed(1)} s ${describeVm(vm, args)}`);
		// Asked for explicitly, so printed even with --quiet or without a terminal.
		if (vm.gdb) report(`gdb stub: ${vm.gdb.command} /usr/lib/debug/boot/vmlinux-${vm.kernel.release}`);
		const stdinData = await input;
		const result = await vm.exec(args.script, {
			encoding: 'buffer',
			...(stdinData ? { input: stdinData } : {}),
			...(args.timeoutMs > 0 ? { timeout: args.timeoutMs } : {}),
			signal: controller.signal,
			onStdout: (chunk) => io.stdout.write(chunk),
			onStderr: (chunk) => io.stderr.write(chunk),
		});
		const signal = signals.received();
		if (signal) return exitCodeForSignal(signal);
		if (result.timedOut) {
			report(`the script timed out after ${args.timeoutMs / 1000} s; its processes were killed (exit status ${EXIT_CODES.timeout}).`);
			return EXIT_CODES.timeout;
		}
		if (result.exitCode === undefined) {
			report('the VM stopped before the script finished.');
			return EXIT_CODES.crash;
		}
		if (result.exitCode !== 0) progress(`the script exited with status ${result.exitCode}`);
		// The taint after the script: its marker follows the script's end by a moment (the result does not wait).
		await vm.kernelLog.sync();
		const verdict = { reports: result.kernelReports ?? [], taint: taintChange(result.taint?.before, vm.kernelLog.taint) };
		if (args.kernelReports !== 'ignore' && isKernelFailure(verdict)) {
			// vm-exec's own words, on stderr even with --quiet: the script's streams stay the script's.
			report(describeKernelNotice(verdict, args.kernelReports === 'fail' ? EXIT_CODES.kernelReport : undefined, result.exitCode));
			if (args.kernelReports === 'fail') return EXIT_CODES.kernelReport;
		}
		return result.exitCode;
	} catch (error) {
		const signal = signals.received();
		if (signal) return exitCodeForSignal(signal);
		if (error instanceof UsageError) throw error;
		report(error instanceof Error ? error.message : String(error));
		if (error instanceof VmUnresponsiveError) return EXIT_CODES.unresponsive;
		// VmCrashedError (the VM died mid-script) and anything unexpected.
		return EXIT_CODES.crash;
	} finally {
		clearTimeout(stopTimer);
		await vm?.close().catch(() => {});
		signals.remove();
	}
}
