import { describe, expect, it } from 'vitest';
import { LearningSwitch, type SwitchPort } from '../../../src/network/switch.js';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

function frame(destination: string, source: string, payload = 'data'): Buffer {
	const mac = (text: string) => Buffer.from(text.split(':').map((byte) => Number.parseInt(byte, 16)));
	return Buffer.concat([mac(destination), mac(source), Buffer.from([0x08, 0x00]), Buffer.from(payload)]);
}

function recordingPort(): SwitchPort & { received: Buffer[] } {
	const received: Buffer[] = [];
	return { received, send: (data) => received.push(data) };
}

describe('LearningSwitch', () => {
	const A = '52:54:0a:00:03:01';
	const B = '52:54:0a:00:03:02';
	const C = '52:54:0a:00:03:03';

	it('floods broadcasts and unknown destinations to every other port', () => {
		const lan = new LearningSwitch();
		const [a, b, c] = [recordingPort(), recordingPort(), recordingPort()];
		for (const port of [a, b, c]) lan.attach(port);
		lan.receive(a, frame(BROADCAST, A));
		lan.receive(a, frame(B, A));
		expect([a.received.length, b.received.length, c.received.length]).toEqual([0, 2, 2]);
	});

	it('sends a frame only to the port its destination was learned on', () => {
		const lan = new LearningSwitch();
		const [a, b, c] = [recordingPort(), recordingPort(), recordingPort()];
		for (const port of [a, b, c]) lan.attach(port);
		lan.receive(b, frame(BROADCAST, B)); // b announces itself
		lan.receive(a, frame(B, A, 'for b'));
		expect(b.received.map((data) => data.subarray(14).toString())).toEqual(['for b']);
		expect(c.received).toHaveLength(1); // only b's broadcast
	});

	it('forgets the addresses of a detached port and stops sending to it', () => {
		const lan = new LearningSwitch();
		const [a, b, c] = [recordingPort(), recordingPort(), recordingPort()];
		for (const port of [a, b, c]) lan.attach(port);
		lan.receive(b, frame(BROADCAST, B));
		lan.detach(b);
		lan.receive(a, frame(B, A));
		expect(b.received).toHaveLength(0);
		expect(c.received).toHaveLength(2); // b's broadcast, then a's frame flooded as unknown
		expect(lan.size).toBe(2);
	});

	it('drops runt frames and frames from ports that are not attached', () => {
		const lan = new LearningSwitch();
		const [a, b, stranger] = [recordingPort(), recordingPort(), recordingPort()];
		lan.attach(a);
		lan.attach(b);
		lan.receive(a, Buffer.alloc(10));
		lan.receive(stranger, frame(BROADCAST, C));
		expect(b.received).toHaveLength(0);
	});

	it('never learns a multicast source address', () => {
		const lan = new LearningSwitch();
		const [a, b, c] = [recordingPort(), recordingPort(), recordingPort()];
		for (const port of [a, b, c]) lan.attach(port);
		lan.receive(b, frame(BROADCAST, '01:00:5e:00:00:01'));
		lan.receive(a, frame('01:00:5e:00:00:01', A));
		expect(c.received).toHaveLength(2);
	});
});
