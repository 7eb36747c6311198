/**
 * Private LANs between VMs. Each LAN is a learning switch in this Node process; each VM on it gets a unix
 * socket in its own workspace that its QEMU connects to (`-netdev stream`). No host network address is
 * involved: frames only ever travel between the QEMU processes and this process.
 *
 * A LAN exists while at least one VM is on it, in one process: VMs started by different processes (for
 * example two Vitest test files) never share a LAN, even with the same name.
 */
import net from 'node:net';
import { createDebug } from '../debug.js';
import { VmBootError } from '../errors.js';
import {
	automaticLanAddress,
	formatLanAddress,
	LAN_MAX_HOST,
	type LanAddress,
	lanMacAddress,
	parseLanAddress,
} from '../options/lan-address.js';
import { encodeFrame, FrameSplitter } from './frames.js';
import { LearningSwitch, type SwitchPort } from './switch.js';

const debug = createDebug('lan');

/** Frames queued for a VM that does not read them are dropped beyond this (as a real switch would). */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

interface Lan {
	switch: LearningSwitch;
	/** Addresses held by the VMs on the LAN. */
	inUse: Set<string>;
	/** The next automatic host number to try. */
	nextHost: number;
}

const lans = new Map<string, Lan>();

export interface LanLease {
	readonly name: string;
	readonly address: LanAddress;
	/** The MAC address the guest gives its LAN card. */
	readonly mac: string;
	/** Listen on `socketPath` for the VM's QEMU and plug its connection into the switch. */
	listen(socketPath: string): Promise<void>;
	/** Unplug the VM and free its address. Idempotent. */
	release(): void;
}

function pickAddress(name: string, lan: Lan, requested: string | undefined): LanAddress {
	if (requested !== undefined) {
		const address = parseLanAddress(requested);
		if (!address)
			throw new VmBootError(
				`The LAN address \`${requested}\` is not a usable IPv4 host address. Pass one like \`10.0.3.7\` or \`192.168.1.5/24\`.`,
			);
		if (lan.inUse.has(address.ip)) {
			throw new VmBootError(
				`The address ${address.ip} is already taken by another VM on the LAN \`${name}\`. Give each VM its own \`lan.address\`, or leave it out to get a free one.`,
			);
		}
		return address;
	}
	for (; lan.nextHost <= LAN_MAX_HOST; lan.nextHost++) {
		const address = automaticLanAddress(lan.nextHost);
		if (!lan.inUse.has(address.ip)) {
			lan.nextHost++;
			return address;
		}
	}
	throw new VmBootError(
		`The LAN \`${name}\` has no free automatic address left (${LAN_MAX_HOST} VMs joined it). Close some of its VMs, or use another LAN name.`,
	);
}

/**
 * Join the LAN `name`, creating it if needed, and reserve an address: `requested`, or else the next
 * automatic one (10.0.3.1 for the first VM, then 10.0.3.2, … in the order `startVm` was called).
 */
export function leaseLanAddress(name: string, requested?: string): LanLease {
	let lan = lans.get(name);
	if (!lan) {
		lan = { switch: new LearningSwitch(), inUse: new Set(), nextHost: 1 };
		lans.set(name, lan);
	}
	const theLan = lan;
	const address = pickAddress(name, theLan, requested);
	theLan.inUse.add(address.ip);
	debug(`${name}: lease ${formatLanAddress(address)}`);
	let server: net.Server | undefined;
	let connection: net.Socket | undefined;
	let released = false;
	const port: SwitchPort = {
		send(frame) {
			if (connection && !connection.destroyed && connection.writableLength < MAX_QUEUED_BYTES) connection.write(encodeFrame(frame));
		},
	};
	const plug = (socket: net.Socket) => {
		socket.on('error', () => {}); // QEMU going away is reported through its exit, not here
		if (released) {
			socket.destroy();
			return;
		}
		// A VM's workspace runs one QEMU at a time, but may run several in turn (the one that saves a
		// snapshot, then one restored from it): the newest connection is the VM's.
		connection?.destroy();
		connection = socket;
		const splitter = new FrameSplitter();
		socket.on('data', (chunk: Buffer) => {
			let frames: Buffer[];
			try {
				frames = splitter.push(chunk);
			} catch (error) {
				debug(`${name}: ${String(error)}; dropping ${address.ip}'s connection`);
				socket.destroy();
				return;
			}
			for (const frame of frames) theLan.switch.receive(port, frame);
		});
		theLan.switch.attach(port);
	};
	return {
		name,
		address,
		mac: lanMacAddress(address.ip),
		async listen(socketPath) {
			if (released) throw new Error('This LAN lease was released');
			// The socket file goes with the workspace.
			server = net.createServer(plug);
			await new Promise<void>((resolve, reject) => {
				server!.once('error', reject);
				server!.listen(socketPath, () => {
					server!.off('error', reject);
					resolve();
				});
			});
			server.on('error', () => {});
		},
		release() {
			if (released) return;
			released = true;
			theLan.switch.detach(port);
			server?.close();
			connection?.destroy();
			theLan.inUse.delete(address.ip);
			debug(`${name}: release ${address.ip}`);
			// The last VM left: forget the LAN, so the next one starts again at 10.0.3.1.
			if (theLan.inUse.size === 0 && lans.get(name) === theLan) lans.delete(name);
		},
	};
}
