import { describe, expect, it } from 'vitest';
import { parseExecMarker } from '../../../src/kernel-log/exec-markers.js';

const user = (text: string) => ({ seq: 1, level: 7, facility: 1, timeUs: 1, text, fields: {} });

describe('parseExecMarker', () => {
	it.each([
		['vm-exec: up tainted=0', { type: 'up', tainted: 0 }],
		['vm-exec: exec v0x1 begin', { type: 'begin', id: 'v0x1' }],
		['vm-exec: exec v0x1 end', { type: 'end', id: 'v0x1' }],
		['vm-exec: exec v0x1 tainted=12800', { type: 'taint', id: 'v0x1', tainted: 12800 }],
		// An id of another form, another verb, a taint that is no number: no marker.
		['vm-exec: exec V-1 begin', undefined],
		['vm-exec: exec v0x1 started', undefined],
		['vm-exec: up tainted=', undefined],
		['vm-exec-init: the runner shell exited; restarting it', undefined],
	])('%s', (text, marker) => {
		expect(parseExecMarker(user(text))).toEqual(marker);
	});

	it("is never one of the kernel's own records (facility 0)", () => {
		expect(parseExecMarker({ ...user('vm-exec: exec v0x1 begin'), facility: 0 })).toBeUndefined();
	});
});
