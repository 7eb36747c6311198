/**
 * The keeper of one kept VM: a detached process started by keep-vm.ts, given the VM's control line and
 * QMP connections. It serves `vm-exec attach` on `<workspace>/attach.sock` (each attach opens a shell of
 * its own, several at once), and stops the VM at its time limit, on SIGTERM (`vm-exec kill`), or when
 * QEMU is gone; then it removes the workspace and its record.
 */
import { rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ControlChannel } from '../protocol/control-channel.js';
import { ConsoleBuffer } from '../qemu/console-buffer.js';
import type { RunningQemu } from '../qemu/launch.js';
import { QmpClient } from '../qemu/qmp-client.js';
import { ResourceStack } from '../lifecycle/resource-stack.js';
import { isProcessAlive } from '../lifecycle/process-alive.js';
import { QemuVm } from '../vm/qemu-vm.js';
import { serveAttach } from './serve-attach.js';
import { type KeeperConfig, keeperExecIdPrefix } from './keeper-config.js';
import { formatKeptMarker, keptMarkerPath } from './kept-marker.js';
import { ensureKeptDir, type KeptVmRecord, removeKeptRecord, writeKeptRecord } from './kept-registry.js';

let config: KeeperConfig | undefined;
let controlSocket: net.Socket | undefined;
let qmpSocket: net.Socket | undefined;

function log(message: string): void {
	process.stderr.write(`${new Date().toISOString()} keeper: ${message}\n`);
}

/** QEMU is not this process's child: its end is seen by polling. */
function watchExit(pid: number): Promise<{ exitCode: undefined; signal: undefined }> {
	return new Promise((resolve) => {
		const timer = setInterval(() => {
			if (isProcessAlive(pid)) return;
			clearInterval(timer);
			resolve({ exitCode: undefined, signal: undefined });
		}, 500);
	});
}

function adoptQemu(keeper: KeeperConfig, control: ControlChannel, qmp: net.Socket): RunningQemu {
	let exitedFlag = false;
	const exited = watchExit(keeper.qemuPid).then((exit) => {
		exitedFlag = true;
		return exit;
	});
	let client: QmpClient | undefined;
	return {
		argv: [...keeper.qemuArgv],
		pid: keeper.qemuPid,
		console: new ConsoleBuffer(),
		control: Promise.resolve(control),
		rawSockets: () => Promise.reject(new Error('a kept VM cannot be handed over again')),
		qmp: async () => (client ??= QmpClient.adopt(qmp)),
		exited,
		hasExited: () => exitedFlag,
		stderr: () => '',
		async stop() {
			if (!exitedFlag) process.kill(keeper.qemuPid, 'SIGKILL');
		},
		closeSockets() {},
		release() {},
	};
}

async function serve(keeper: KeeperConfig, control: net.Socket, qmp: net.Socket): Promise<void> {
	const channel = new ControlChannel(control);
	const qemu = adoptQemu(keeper, channel, qmp);
	const vm = new QemuVm({
		qemu,
		control: channel,
		xchgDir: keeper.xchgDir,
		kernel: keeper.kernel,
		accel: keeper.accel,
		sharedDir: keeper.sharedDir,
		env: keeper.env,
		cwd: keeper.cwd,
		resources: new ResourceStack(),
		execIdPrefix: keeperExecIdPrefix(keeper.id),
	});
	const keptAt = Date.now();
	const deadline = keptAt + keeper.limitMs;
	const attachSocket = path.join(keeper.workspace, 'attach.sock');
	const server = net.createServer((connection) => serveAttach(vm, connection, log));
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(attachSocket, () => resolve());
	});
	let stopping = false;
	const stop = async (why: string) => {
		if (stopping) return;
		stopping = true;
		log(`stopping the VM: ${why}`);
		server.close();
		if (isProcessAlive(keeper.qemuPid)) process.kill(keeper.qemuPid, 'SIGKILL');
		await removeKeptRecord(keeper.id).catch(() => {});
		await rm(keptMarkerPath(keeper.qemuPid), { force: true }).catch(() => {});
		await rm(keeper.workspace, { recursive: true, force: true }).catch(() => {});
		process.exit(0);
	};
	setTimeout(() => void stop(`its time limit (${Math.round(keeper.limitMs / 1000)} s) is up`), keeper.limitMs).unref();
	for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop(`${signal} (vm-exec kill)`));
	process.on('SIGHUP', () => {});
	void qemu.exited.then(() => stop('QEMU is gone'));
	const record: KeptVmRecord = {
		id: keeper.id,
		name: keeper.name,
		qemuPid: keeper.qemuPid,
		keeperPid: process.pid,
		keptAt,
		deadline,
		workspace: keeper.workspace,
		attachSocket,
	};
	// The watchdog reads the marker: from now on it waits for the deadline (or this process's end), not the runner's.
	await ensureKeptDir();
	await writeFile(keptMarkerPath(keeper.qemuPid), formatKeptMarker(deadline, process.pid, keeper.workspace));
	await writeKeptRecord(record);
	log(`keeping VM ${keeper.id} (${keeper.name}), QEMU pid ${keeper.qemuPid}, until ${new Date(deadline).toISOString()}`);
	process.send?.({ type: 'ready', record });
}

process.on('message', (message: { type?: string; config?: KeeperConfig }, handle: unknown) => {
	if (message.type === 'config') config = message.config;
	else if (message.type === 'control' && handle instanceof net.Socket) controlSocket = handle;
	else if (message.type === 'qmp' && handle instanceof net.Socket) qmpSocket = handle;
	if (config && controlSocket && qmpSocket) {
		const [keeper, control, qmp] = [config, controlSocket, qmpSocket];
		config = undefined;
		serve(keeper, control, qmp).catch((error: unknown) => {
			log(`cannot keep the VM: ${String(error)}`);
			process.send?.({ type: 'error', error: String(error) });
			if (isProcessAlive(keeper.qemuPid)) process.kill(keeper.qemuPid, 'SIGKILL');
			process.exitCode = 1;
			setTimeout(() => process.exit(1), 100);
		});
	}
});
// The runner disconnects once the keeper is ready; nothing to do then (the channel would keep this process alive otherwise).
process.on('disconnect', () => {});
