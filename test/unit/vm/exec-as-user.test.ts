import { describe, expect, it } from 'vitest';
import { buildUserLookup, parsePasswdLine, wrapScriptForUser } from '../../../src/vm/exec-as-user.js';
import { normalizeExecOptions } from '../../../src/options.js';

describe('exec as a user', () => {
	it('parses a passwd line', () => {
		expect(parsePasswdLine('alice:x:1001:1002:Alice:/home/alice:/bin/bash\n')).toEqual({
			name: 'alice',
			uid: 1001,
			gid: 1002,
			home: '/home/alice',
		});
		expect(parsePasswdLine('')).toBeUndefined();
		expect(parsePasswdLine('bad:x:y:z:::')).toBeUndefined();
	});

	it('quotes the looked-up name', () => {
		expect(buildUserLookup('nobody')).toBe("getent passwd -- 'nobody'");
	});

	it('wraps a script in setpriv with the account, through a here-document the script cannot end', () => {
		const account = { name: 'alice', uid: 1001, gid: 1002, home: '/home/alice' };
		const wrapped = wrapScriptForUser('echo VMX_USER_SCRIPT_r\nexit 3', account, '/bin/sh', 'r');
		expect(wrapped).toContain('cat >"$vmx_user_script" <<\'VMX_USER_SCRIPT_rX\'\necho VMX_USER_SCRIPT_r\nexit 3\nVMX_USER_SCRIPT_rX\n');
		expect(wrapped).toContain('setpriv --reuid=1001 --regid=1002 --init-groups -- \'/bin/sh\' "$vmx_user_script"');
		expect(wrapped).toContain("export HOME='/home/alice' USER='alice' LOGNAME='alice'");
		// A #! script is executed, so its interpreter runs it.
		expect(wrapScriptForUser('#!/bin/bash\ntrue', account, '/bin/sh', 'r')).toContain('--init-groups -- "$vmx_user_script"');
	});

	it('validates the user option', () => {
		expect(normalizeExecOptions({ user: 0 }).user).toBe('0');
		expect(normalizeExecOptions({ user: 'www-data' }).user).toBe('www-data');
		expect(() => normalizeExecOptions({ user: 'a b' })).toThrow(
			'Expected the `user` option to be a guest user name (such as `nobody`) or a uid (an integer ≥ 0), got `"a b"`.',
		);
		expect(() => normalizeExecOptions({ user: -1 })).toThrow(TypeError);
	});
});
