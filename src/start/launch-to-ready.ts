/**
 * Launch QEMU and wait for the guest: connected, `ready` (the snapshot point) and `up` (after `go`), all
 * under the start's one deadline (`context.deadline`: the whole `bootTimeout`, whatever path the start
 * takes), failing early (with QEMU's stderr and the console tail) when QEMU exits.
 */
import path from 'node:path';
import { createDebug } from '../debug.js';
import { startWatchdog } from '../keep/watchdog.js';
import { consoleTailSection, tailOf, VmBootError } from '../errors.js';
import type { Deadline } from '../lifecycle/deadline.js';
import { DeadlineError } from '../lifecycle/wait.js';
import type { ControlChannel } from '../protocol/control-channel.js';
import type { GuestMessage } from '../protocol/messages.js';
import type { QemuPlan } from '../qemu/argv/qemu-argv.js';
import { launchQemu, type RunningQemu } from '../qemu/launch.js';
import { describeQemuState } from '../qemu/state.js';
import type { BootContext } from './plan.js';

const debug = createDebug('start');

function bootFailure(message: string, qemu: RunningQemu | undefined, cause?: unknown, exitCode?: number): VmBootError {
	const consoleLog = qemu?.console.text ?? '';
	const qemuStderr = qemu?.stderr() ?? '';
	const details = [qemuStderr.trim() ? `\nQEMU said:\n${tailOf(qemuStderr, 2000).trimEnd()}` : '', consoleTailSection(consoleLog)].join('');
	return new VmBootError(message + details, {
		consoleLog: tailOf(consoleLog),
		qemuStderr,
		...(qemu ? { qemuArgv: qemu.argv } : {}),
		...(exitCode === undefined ? {} : { exitCode }),
		cause,
	});
}

/** Wait for a guest message, failing early if QEMU exits or the guest reports an error. */
export async function waitForGuest(qemu: RunningQemu, control: ControlChannel, type: 'ready' | 'up', deadline: Deadline): Promise<void> {
	const arrived = control.waitFor((message): message is GuestMessage => message.type === type || message.type === 'error');
	const exited = qemu.exited.then((exit) => {
		throw bootFailure(
			`QEMU exited (${exit.signal ?? `code ${exit.exitCode}`}) before the guest was ${type}.`,
			qemu,
			undefined,
			exit.exitCode,
		);
	});
	const message = await deadline
		.race(Promise.race([arrived, exited]), () => new DeadlineError('the guest did not answer in time'))
		.catch(async (error: unknown) => {
			if (!(error instanceof DeadlineError)) throw error;
			// Where the guest is stuck, for telling a hang from a slow machine.
			const state = await describeQemuState(() => qemu.qmp());
			throw bootFailure(
				`The VM did not finish booting within ${deadline.description} (the guest never said it was ${type}). Raise \`bootTimeout\` if the machine is slow or busy.${state ? `\n${state}` : ''}`,
				qemu,
			);
		});
	if (message.type === 'error') throw bootFailure(`The guest could not set itself up: ${message.text}.`, qemu);
}

/**
 * Launch QEMU for a plan and wait until the guest says `ready`; with `untilReady: false` (a VM about to
 * be restored from a snapshot, whose guest said `ready` before it was saved) only until QEMU is connected.
 * QEMU's stop is registered on `context.resources` as soon as it is launched.
 */
export async function bootToReady(
	context: BootContext,
	plan: QemuPlan,
	untilReady = true,
): Promise<{ qemu: RunningQemu; control: ControlChannel }> {
	const { options, artifacts } = context;
	const keepable = options.keep !== false;
	const qemu = await launchQemu(artifacts.qemuPath, plan, {
		...(options.console === 'inherit' ? { mirrorConsole: process.stderr } : {}),
		keepable,
		priority: context.launchPriority,
	});
	context.resources.defer('QEMU', () => qemu.stop());
	if (keepable && qemu.pid !== undefined) startWatchdog({ workspace: path.dirname(plan.xchgDir), qemuPid: qemu.pid });
	const started = performance.now();
	const connected = qemu.control.then((control) => control);
	const exitedEarly = qemu.exited.then((exit) => {
		throw bootFailure(
			`QEMU exited (${exit.signal ?? `code ${exit.exitCode}`}) before the guest started. Check the QEMU arguments (qemuArgs) and the message below.`,
			qemu,
			undefined,
			exit.exitCode,
		);
	});
	const { deadline } = context;
	const control = await deadline.race(Promise.race([connected, exitedEarly]), () =>
		bootFailure(`QEMU did not start within ${deadline.description}.`, qemu),
	);
	if (!untilReady) return { qemu, control };
	await waitForGuest(qemu, control, 'ready', deadline);
	debug(`ready after ${Math.round(performance.now() - started)} ms`);
	return { qemu, control };
}
