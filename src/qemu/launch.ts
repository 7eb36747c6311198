/**
 * Start a QEMU process for a plan and wire up its console, control line and QMP sockets.
 */
import type net from 'node:net';
import { execa, type ResultPromise } from 'execa';
import { createDebug } from '../debug.js';
import { ControlChannel } from '../protocol/control-channel.js';
import { ConsoleBuffer } from './console-buffer.js';
import { registerExitCleanup } from '../lifecycle/exit-cleanup.js';
import { findOnPath } from './host-tools.js';
import { buildQemuArgv, type QemuPlan } from './argv/qemu-argv.js';
import { QmpClient } from './qmp-client.js';
import { listenUnixSocket } from './unix-socket.js';
import { BACKGROUND_NICENESS, type LaunchPriority } from './launch-priority.js';

const debug = createDebug('qemu');

export interface QemuExit {
	exitCode: number | undefined;
	signal: string | undefined;
}

export interface RunningQemu {
	/** The full command line: binary first. */
	argv: string[];
	pid: number | undefined;
	console: ConsoleBuffer;
	/** The control line; resolves once QEMU connected to it. */
	control: Promise<ControlChannel>;
	/** The raw control and QMP connections, for handing a kept VM over to its keeper. */
	rawSockets(): Promise<{ control: net.Socket; qmp: net.Socket }>;
	/** The QMP client (connected and negotiated on first use). */
	qmp(): Promise<QmpClient>;
	/** Resolves when QEMU exits, for whatever reason. */
	exited: Promise<QemuExit>;
	hasExited(): boolean;
	/** What QEMU printed on stderr (its own errors, not the guest's). */
	stderr(): string;
	/** Stop QEMU: SIGTERM, then SIGKILL after `graceMs`. Resolves once it is gone. */
	stop(graceMs?: number): Promise<void>;
	/** Close the host ends of the sockets. */
	closeSockets(): void;
	/**
	 * Let QEMU outlive this process (a kept VM, see src/keep/): it is no longer killed when this process
	 * exits. Only for a QEMU launched `keepable` (which has no parent-death signal).
	 */
	release(): void;
}

let setprivPath: Promise<string | undefined> | undefined;

/**
 * QEMU must not outlive the process that started it (a killed test runner must not leak a VM that eats
 * a core): where util-linux's setpriv exists, it sets the parent-death signal before exec'ing QEMU.
 */
async function parentDeathPrefix(): Promise<string[]> {
	setprivPath ??= findOnPath('setpriv', ['/usr/bin', '/bin']);
	const setpriv = await setprivPath;
	return setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : [];
}

let nicePath: Promise<string | undefined> | undefined;

/** A VM the warm pool starts ahead starts at nice 19, all its threads with it (launch-priority.ts). */
async function lowPriorityPrefix(priority: LaunchPriority | undefined): Promise<string[]> {
	if (!priority) return [];
	nicePath ??= findOnPath('nice', ['/usr/bin', '/bin']);
	const nice = await nicePath;
	return nice ? [nice, '-n', String(BACKGROUND_NICENESS), '--'] : [];
}

export async function launchQemu(
	qemuBinary: string,
	plan: QemuPlan,
	options: {
		mirrorConsole?: NodeJS.WritableStream;
		keepable?: boolean;
		/** Start at low CPU priority while it is lowered, and report the pid to it (a VM the warm pool starts ahead). */
		priority?: LaunchPriority | undefined;
	} = {},
): Promise<RunningQemu> {
	const consoleSocket = await listenUnixSocket(plan.consoleSocket);
	const controlSocket = await listenUnixSocket(plan.controlSocket);
	const qmpSocket = await listenUnixSocket(plan.qmpSocket);
	const closeSockets = () => {
		consoleSocket.close();
		controlSocket.close();
		qmpSocket.close();
	};
	const argv = [qemuBinary, ...buildQemuArgv(plan)];
	debug(`argv: ${JSON.stringify(argv)}`);
	// A VM that may be kept for a failed test must be able to outlive this process: no parent-death signal
	// and no execa cleanup; its own watchdog (src/keep/watchdog.ts) bounds its life instead.
	const priority = options.priority?.lowered ? options.priority : undefined;
	const prefix = [...(await lowPriorityPrefix(priority)), ...(options.keepable ? [] : await parentDeathPrefix())];
	const [command, ...args] = [...prefix, ...argv] as [string, ...string[]];
	let child: ResultPromise<{ stdin: 'ignore'; buffer: false; reject: false; cleanup: true }>;
	try {
		// A keepable QEMU gets a session of its own (detached): a ^C in the runner's terminal must not reach a kept VM.
		child = execa(command, args, {
			stdin: 'ignore',
			buffer: false,
			reject: false,
			cleanup: !options.keepable,
			detached: options.keepable === true,
			forceKillAfterDelay: 2000,
		});
	} catch (error) {
		closeSockets();
		throw error;
	}
	let stderrText = '';
	child.stderr?.setEncoding('utf8');
	child.stderr?.on('data', (chunk: string) => {
		stderrText = (stderrText + chunk).slice(-16_384);
	});
	child.stdout?.resume();
	let exitedFlag = false;
	const pid = child.pid;
	if (pid !== undefined) priority?.launched(pid);
	const unregisterExitCleanup = registerExitCleanup(() => {
		if (!exitedFlag && pid !== undefined) process.kill(pid, 'SIGKILL');
	});
	const exited = child.then((result) => {
		exitedFlag = true;
		unregisterExitCleanup();
		const exit = { exitCode: result.exitCode, signal: result.signal };
		debug(`exited: ${JSON.stringify(exit)}`);
		return exit;
	});
	const consoleBuffer = new ConsoleBuffer(options.mirrorConsole ? { mirror: options.mirrorConsole } : {});
	void consoleSocket.connection.then(
		(socket) => socket.on('data', (chunk: Buffer) => consoleBuffer.append(chunk)),
		() => {},
	);
	const control = controlSocket.connection.then((socket) => new ControlChannel(socket));
	control.catch(() => {});
	let qmpClient: Promise<QmpClient> | undefined;
	return {
		argv,
		pid: child.pid,
		console: consoleBuffer,
		control,
		async rawSockets() {
			return { control: await controlSocket.connection, qmp: await qmpSocket.connection };
		},
		qmp() {
			qmpClient ??= qmpSocket.connection.then((socket) => QmpClient.connect(socket));
			return qmpClient;
		},
		exited,
		hasExited: () => exitedFlag,
		stderr: () => stderrText,
		async stop(graceMs = 2000) {
			if (!exitedFlag) {
				child.kill('SIGTERM');
				// A stopped QEMU (SIGSTOP, a debugger detached) keeps a SIGTERM pending until it runs again: let it
				// run, so that it ends now rather than at the SIGKILL below.
				child.kill('SIGCONT');
				const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
				await exited;
				clearTimeout(timer);
			}
			closeSockets();
		},
		closeSockets,
		release() {
			unregisterExitCleanup();
			// Nor does this process wait for it before exiting: no child, socket or server of it is left open here.
			child.unref();
			closeSockets();
			void consoleSocket.connection.then(
				(socket) => socket.destroy(),
				() => {},
			);
			void qmpClient?.then(
				(client) => client.close(),
				() => {},
			);
			child.stderr?.destroy();
			child.stdout?.destroy();
		},
	};
}
