/**
 * `vm.forwardPort()`: forward a port on the host's loopback to a port of the guest, through QEMU's
 * user-mode network (`hostfwd_add` over QMP), at any time after boot.
 */
import getPort from 'get-port';
import { createDebug } from '../debug.js';
import { VmError } from '../errors.js';
import { USER_NETDEV_ID } from '../qemu/argv/network-args.js';
import type { QmpClient } from '../qemu/qmp-client.js';
import { describeValue } from '../options.js';
import { withDeadline } from '../lifecycle/wait.js';

const debug = createDebug('network');

/** Options of `vm.forwardPort()`. */
export interface ForwardPortOptions {
	/**
	 * The protocol to forward.
	 * @default 'tcp'
	 */
	protocol?: 'tcp' | 'udp';
}

/** How many free ports to try when another process takes the one get-port found before QEMU binds it. */
const ATTEMPTS = 5;
const FORWARD_OPTION_NAMES = new Set(['protocol']);
/** Removing forwards on close: best effort, short, so that close() of a stopped QEMU stays within its bound. */
const REMOVE_TIMEOUT_MS = 1000;
/** QEMU's monitor answers hostfwd_add in milliseconds; one that does not (a stopped QEMU) must not hang forwardPort(). */
const ADD_TIMEOUT_MS = 5000;

function validate(guestPort: unknown, options: unknown): { guestPort: number; protocol: 'tcp' | 'udp' } {
	if (typeof guestPort !== 'number' || !Number.isInteger(guestPort) || guestPort < 1 || guestPort > 65_535) {
		throw new TypeError(`Expected the guest port to be an integer from 1 to 65535, got ${describeValue(guestPort)}.`);
	}
	if (typeof options !== 'object' || options === null || Array.isArray(options)) {
		throw new TypeError(`Expected the forwardPort() options to be an object, got ${describeValue(options)}.`);
	}
	for (const key of Object.keys(options)) {
		if (!FORWARD_OPTION_NAMES.has(key)) throw new TypeError(`Unknown forwardPort() option \`${key}\`. Known options: protocol.`);
	}
	const protocol = (options as ForwardPortOptions).protocol ?? 'tcp';
	if (protocol !== 'tcp' && protocol !== 'udp') {
		throw new TypeError(`Expected the \`protocol\` option to be \`'tcp'\` or \`'udp'\`, got ${describeValue(protocol)}.`);
	}
	return { guestPort, protocol };
}

/** The forwarded ports of one VM; removed again on `removeAll()` (the VM's close). */
export class PortForwards {
	readonly #qmp: () => Promise<QmpClient>;
	readonly #rules = new Set<string>();

	constructor(qmp: () => Promise<QmpClient>) {
		this.#qmp = qmp;
	}

	/** Forward a free port on 127.0.0.1 to `guestPort`; resolves with the host port. */
	async forward(guestPort: unknown, options: unknown = {}): Promise<number> {
		const valid = validate(guestPort, options);
		return withDeadline(this.#forward(valid), {
			ms: ADD_TIMEOUT_MS,
			onDeadline: () =>
				new VmError(
					`Cannot forward the guest's ${valid.protocol.toUpperCase()} port ${valid.guestPort}: QEMU's monitor did not answer within ${ADD_TIMEOUT_MS / 1000} s (is QEMU stopped?).`,
				),
		});
	}

	async #forward(valid: { guestPort: number; protocol: 'tcp' | 'udp' }): Promise<number> {
		const qmp = await this.#qmp();
		let refusal = '';
		for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
			// get-port checks TCP only; a UDP port that turns out to be taken fails below and is retried.
			const hostPort = await getPort({ host: '127.0.0.1' });
			const rule = `${valid.protocol}:127.0.0.1:${hostPort}`;
			// Bound to 127.0.0.1 only: a forwarded port is never reachable from other hosts. The empty guest
			// address means the guest's own 10.0.2.15.
			const output = await qmp.humanMonitorCommand(`hostfwd_add ${USER_NETDEV_ID} ${rule}-:${valid.guestPort}`);
			// HMP reports failure as text, not as a QMP error: an empty answer is success.
			if (output.trim() === '') {
				this.#rules.add(rule);
				debug(`forwarded ${rule} → guest ${valid.guestPort}`);
				return hostPort;
			}
			refusal = output.trim();
			debug(`hostfwd_add ${rule} refused: ${refusal}`);
		}
		throw new VmError(
			`Cannot forward the guest's ${valid.protocol.toUpperCase()} port ${valid.guestPort} to the host: QEMU refused ${ATTEMPTS} free ports (${refusal}). Check that QEMU has user-mode networking (slirp) support.`,
		);
	}

	/**
	 * Remove every forward, so the host ports are free before QEMU is stopped. Best effort, with a
	 * deadline: a QEMU that does not answer is about to be killed, which releases them too.
	 */
	async removeAll(): Promise<void> {
		if (this.#rules.size === 0) return;
		const rules = [...this.#rules];
		this.#rules.clear();
		const removeThem = async () => {
			const qmp = await this.#qmp();
			for (const rule of rules) await qmp.humanMonitorCommand(`hostfwd_remove ${USER_NETDEV_ID} ${rule}`);
		};
		await withDeadline(removeThem(), { ms: REMOVE_TIMEOUT_MS, onDeadline: () => new Error('QEMU did not answer hostfwd_remove') }).catch(
			(error: unknown) => {
				debug(`removing forwarded ports: ${String(error)}`);
			},
		);
	}
}
