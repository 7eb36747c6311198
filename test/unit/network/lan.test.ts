import net from 'node:net';
import path from 'node:path';
import { dir as tempDir } from 'tmp-promise';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameSplitter } from '../../../src/network/frames.js';
import { type LanLease, leaseLanAddress } from '../../../src/network/lan.js';
import { within } from '../../helpers/within.js';

/** The bound of every wait here: a local socket answers in milliseconds, so a miss fails fast, and says what. */
const WAIT_MS = 5000;

const leases: LanLease[] = [];
const cleanups: (() => unknown)[] = [];

function lease(name: string, address?: string): LanLease {
	const taken = leaseLanAddress(name, address);
	leases.push(taken);
	return taken;
}

afterEach(async () => {
	for (const taken of leases.splice(0)) taken.release();
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Connect to a lease's socket as QEMU would; collects the frames the switch sends. */
async function connectAsQemu(socketPath: string): Promise<{ socket: net.Socket; frames: Buffer[]; next(): Promise<Buffer> }> {
	const socket = net.connect(socketPath);
	cleanups.push(() => socket.destroy());
	await within(
		WAIT_MS,
		new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject)),
		`the connection to ${socketPath}`,
	);
	const frames: Buffer[] = [];
	const waiters: ((frame: Buffer) => void)[] = [];
	const splitter = new FrameSplitter();
	socket.on('data', (chunk: Buffer) => {
		for (const frame of splitter.push(chunk)) {
			const waiter = waiters.shift();
			if (waiter) waiter(frame);
			else frames.push(frame);
		}
	});
	return {
		socket,
		frames,
		next: () => new Promise((resolve) => (frames.length > 0 ? resolve(frames.shift()!) : waiters.push(resolve))),
	};
}

async function tempSockets(): Promise<string> {
	const temp = await tempDir({ prefix: 'vm-exec-lan-test-', unsafeCleanup: true });
	cleanups.push(() => temp.cleanup());
	return temp.path;
}

describe('leaseLanAddress', () => {
	it('hands out 10.0.3.1, 10.0.3.2, … in call order, per LAN name', () => {
		expect([lease('unit-a').address.ip, lease('unit-a').address.ip, lease('unit-b').address.ip]).toEqual([
			'10.0.3.1',
			'10.0.3.2',
			'10.0.3.1',
		]);
	});

	it('gives each address its own MAC', () => {
		expect([lease('unit-mac').mac, lease('unit-mac').mac]).toEqual(['52:54:0a:00:03:01', '52:54:0a:00:03:02']);
	});

	it('uses a requested address and skips it when numbering the others', () => {
		expect(lease('unit-req', '10.0.3.1/24').address).toEqual({ ip: '10.0.3.1', prefix: 24 });
		expect(lease('unit-req').address.ip).toBe('10.0.3.2');
	});

	it('refuses an address another VM on the LAN holds, and frees it when that VM leaves', () => {
		const first = lease('unit-taken', '10.0.3.5');
		expect(() => lease('unit-taken', '10.0.3.5')).toThrow('The address 10.0.3.5 is already taken by another VM on the LAN `unit-taken`.');
		lease('unit-taken'); // keeps the LAN alive
		first.release();
		expect(lease('unit-taken', '10.0.3.5').address.ip).toBe('10.0.3.5');
	});

	it('starts again at 10.0.3.1 once every VM left the LAN', () => {
		const first = lease('unit-reset');
		first.release();
		first.release(); // idempotent
		expect(lease('unit-reset').address.ip).toBe('10.0.3.1');
	});

	it('refuses an address that is not a host address', () => {
		expect(() => lease('unit-bad', '10.0.3.255')).toThrow('is not a usable IPv4 host address');
	});
});

describe('a LAN between connected VMs', () => {
	const A = Buffer.from([0x52, 0x54, 0x0a, 0x00, 0x03, 0x01]);
	const BROADCAST = Buffer.alloc(6, 0xff);
	const ethernet = (destination: Buffer, source: Buffer, payload: string) =>
		Buffer.concat([destination, source, Buffer.from([0x08, 0x00]), Buffer.from(payload)]);

	it('delivers a frame one VM sends to the others, framed as QEMU expects', async () => {
		const dir = await tempSockets();
		const [a, b, c] = [lease('unit-wire'), lease('unit-wire'), lease('unit-wire')];
		await within(
			WAIT_MS,
			Promise.all([a, b, c].map((taken, index) => taken.listen(path.join(dir, `${index}.sock`)))),
			'the switch listening',
		);
		const [qemuA, qemuB, qemuC] = await Promise.all([0, 1, 2].map((index) => connectAsQemu(path.join(dir, `${index}.sock`))));
		const sent = ethernet(BROADCAST, A, 'hello LAN');
		// The switch plugs a VM in when it accepts the connection, which may come after the client's
		// `connect`: like a guest, resend until the frame arrives.
		const resend = setInterval(() => qemuA!.socket.write(encodeFrame(sent)), 20);
		try {
			expect(await within(WAIT_MS, qemuB!.next(), 'the frame A sent, at B')).toEqual(sent);
			expect(await within(WAIT_MS, qemuC!.next(), 'the frame A sent, at C')).toEqual(sent);
		} finally {
			clearInterval(resend);
		}
		expect(qemuA!.frames).toEqual([]);
	});

	it('unplugs a VM that leaves: its connection is closed', async () => {
		const dir = await tempSockets();
		const a = lease('unit-leave');
		await within(WAIT_MS, a.listen(path.join(dir, 'a.sock')), 'the switch listening');
		const qemu = await connectAsQemu(path.join(dir, 'a.sock'));
		const closed = new Promise((resolve) => qemu.socket.once('close', resolve));
		a.release();
		await within(WAIT_MS, closed, 'the close of the connection of the VM that left');
	});
});
