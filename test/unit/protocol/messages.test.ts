import { describe, expect, it } from 'vitest';
import { formatHostMessage, LineSplitter, parseGuestMessage } from '../../../src/protocol/messages.js';

describe('parseGuestMessage', () => {
	it.each([
		['ready', { type: 'ready' }],
		['up', { type: 'up' }],
		['done v0x1 0', { type: 'done', id: 'v0x1', status: 0 }],
		['done v0x1 137\r', { type: 'done', id: 'v0x1', status: 137 }],
		['error cannot mount the host root', { type: 'error', text: 'cannot mount the host root' }],
		['done ../x 0', { type: 'unknown', line: 'done ../x 0' }],
		['done v0 1234', { type: 'unknown', line: 'done v0 1234' }],
		['pong p1', { type: 'pong', id: 'p1' }],
		['pong p1 extra', { type: 'unknown', line: 'pong p1 extra' }],
		['garbage', { type: 'unknown', line: 'garbage' }],
	])('parses %j', (line, message) => {
		expect(parseGuestMessage(line)).toEqual(message);
	});
});

describe('formatHostMessage', () => {
	it('formats one line per message', () => {
		expect(formatHostMessage({ type: 'go' })).toBe('go\n');
		expect(formatHostMessage({ type: 'run', id: 'v0x1' })).toBe('run v0x1\n');
		expect(formatHostMessage({ type: 'kill', id: 'v0x1' })).toBe('kill v0x1\n');
		expect(formatHostMessage({ type: 'reap', id: 'v0x1' })).toBe('reap v0x1\n');
		expect(formatHostMessage({ type: 'ping', id: 'p1' })).toBe('ping p1\n');
	});

	it('refuses ids that could inject another command', () => {
		expect(() => formatHostMessage({ type: 'run', id: 'x\nreboot' })).toThrow(/Invalid exec id/);
	});
});

describe('LineSplitter', () => {
	it('returns whole lines and keeps a partial one for the next chunk', () => {
		const splitter = new LineSplitter();
		expect(splitter.push('rea')).toEqual([]);
		expect(splitter.push('dy\ndone a 0\ndo')).toEqual(['ready', 'done a 0']);
		expect(splitter.push('ne b 1\n')).toEqual(['done b 1']);
	});
});
