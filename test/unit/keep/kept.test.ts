import { describe, expect, it } from 'vitest';
import { formatKeptTable } from '../../../src/cli/kept-commands.js';
import { formatKeptNote } from '../../../src/cli/doctor/doctor.js';
import { keeperExecIdPrefix } from '../../../src/keep/keeper-config.js';
import { formatKeptMarker, keptWorkspaceName } from '../../../src/keep/kept-marker.js';
import { formatKeptLine } from '../../../src/test-runners/keep-failed.js';
import { ownerPidOf } from '../../../src/lifecycle/stale-workspaces.js';

const record = {
	id: 'ab12cd',
	name: 'loads the module',
	qemuPid: 4242,
	keeperPid: 4243,
	keptAt: 1_000_000,
	deadline: 1_000_000 + 30 * 60_000,
	workspace: '/tmp/vm-exec-kept-vm-ab12cd',
	attachSocket: '/tmp/vm-exec-kept-vm-ab12cd/attach.sock',
};

describe('kept VMs', () => {
	it('lists id, age, time left, pid and test', () => {
		expect(formatKeptTable([record], record.keptAt + 65_000)).toBe(
			'ID      AGE    LEFT    PID   TEST\nab12cd  1m05s  28m55s  4242  loads the module\n',
		);
		expect(formatKeptTable([], 0)).toMatch(/^No kept VMs/);
	});

	it('ends the failure report with the attach command', () => {
		expect(formatKeptLine('ab12cd', 30 * 60_000)).toContain('\n  vm-exec attach ab12cd\n');
		// A shared VM (fileVm, a describe block's) is kept later, once the tests that share it are done.
		expect(formatKeptLine('ab12cd', 30 * 60_000, 'the file VM `fileVm`')).toMatch(
			/the file VM `fileVm`\) is kept for 30 min once the tests that share it are done[^\n]*\n {2}vm-exec attach ab12cd\n/,
		);
	});

	it('writes the marker the watchdog reads, and names kept workspaces out of the stale sweep’s pattern', () => {
		expect(formatKeptMarker(1_500, 7, '/tmp/w')).toBe('2 7 /tmp/w\n');
		expect(ownerPidOf(keptWorkspaceName('ab12cd'))).toBeUndefined();
	});

	it('has doctor mention kept VMs', () => {
		expect(formatKeptNote([], 0)).toBe('');
		expect(formatKeptNote([record], record.keptAt)).toContain('1 kept VM of failed tests still running (the last stops in 30 min)');
	});
});

describe('the keeper’s exec ids', () => {
	it('never start like a runner’s (v<N>x…), and are valid exec ids', () => {
		const prefix = keeperExecIdPrefix('ab12cd');
		expect(prefix).not.toMatch(/^v\d/);
		expect(`${prefix}0`).toMatch(/^[a-z0-9]{1,32}$/);
	});
});
