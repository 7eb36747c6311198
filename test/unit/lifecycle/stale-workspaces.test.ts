import { mkdirSync, mkdtempSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ownerPidOf, removeStaleWorkspaces } from '../../../src/lifecycle/stale-workspaces.js';

describe('ownerPidOf', () => {
	it('reads the pid from workspace and shared dir names, and ignores other names', () => {
		expect(ownerPidOf('vm-exec-1234-AbCd')).toBe(1234);
		expect(ownerPidOf('vm-exec-shared-99-x')).toBe(99);
		expect(ownerPidOf('vm-exec-cwd-x')).toBeUndefined();
		expect(ownerPidOf('other-1234-x')).toBeUndefined();
	});
});

describe('removeStaleWorkspaces', () => {
	let dir: string;
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	it('removes the dirs of dead processes and keeps those of live ones', async () => {
		dir = mkdtempSync(path.join(os.tmpdir(), 'stale-test-'));
		const dead = path.join(dir, 'vm-exec-999999999-dead');
		const live = path.join(dir, `vm-exec-${process.ppid}-live`);
		const mine = path.join(dir, `vm-exec-${process.pid}-mine`);
		for (const sub of [dead, live, mine]) mkdirSync(path.join(sub, 'xchg'), { recursive: true });
		expect(await removeStaleWorkspaces(dir)).toEqual([dead]);
		expect([existsSync(dead), existsSync(live), existsSync(mine)]).toEqual([false, true, true]);
	});
});
