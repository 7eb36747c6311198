import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBootEnv, buildRunScript, execFileNames, hasShebang, isHiddenInGuest, shellQuote } from '../../../src/protocol/exec-files.js';

describe('shellQuote', () => {
	it.each(["it's", 'a b', '$(rm -rf /)', '`x`', 'back\\slash', '', 'new\nline'])(
		'quotes %j so that the shell reads it back unchanged',
		(value) => {
			expect(execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(value)}`]).toString()).toBe(value);
		},
	);
});

describe('buildRunScript', () => {
	it('redirects stdio to the exchange files, sets the environment and directory, then runs the script', () => {
		const script = buildRunScript({ id: 'v0x1', cwd: '/home/me/project', env: { FOO: "a'b" }, hasInput: true, script: 'echo hi\nfalse\n' });
		expect(script).toContain('exec </run/vm-exec/xchg/v0x1.in >>/run/vm-exec/xchg/v0x1.out 2>>/run/vm-exec/xchg/v0x1.err');
		expect(script).toContain("export FOO='a'\\''b'");
		expect(script).toContain("export PATH='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'");
		expect(script).toContain("cd '/home/me/project' ||");
		expect(script.endsWith('; echo hi\nfalse\n')).toBe(true);
	});

	it("keeps the script's line numbers: all the set-up is on its first line", () => {
		const script = buildRunScript({ id: 'a', cwd: '/', env: { A: '1' }, hasInput: false, script: 'true\nvm_exec_no_such_command' });
		expect(script.split('\n')).toEqual([expect.any(String), 'vm_exec_no_such_command', '']);
		// The real shell agrees (sourced, as the guest's runner does it; xchg paths do not exist here).
		const runnable = script.replace(/exec <\/dev\/null >\S+ 2>\S+; /, '');
		const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vm-exec-run-sh-')), 'run.sh');
		try {
			writeFileSync(file, runnable);
			// dash: "sh: 2: /path: vm_exec_no_such_command: not found"; bash: "/path: line 2: …"
			expect(execFileSync('/bin/sh', ['-c', `. ${file} 2>&1; true`]).toString()).toMatch(
				/\b2: .*vm_exec_no_such_command|line 2: vm_exec_no_such_command/,
			);
		} finally {
			rmSync(path.dirname(file), { recursive: true, force: true });
		}
	});

	it('reads /dev/null when there is no input and executes #! scripts directly', () => {
		const script = buildRunScript({ id: 'a', cwd: '/', env: {}, hasInput: false, script: '#!/bin/bash\necho hi' });
		expect(script).toContain('exec </dev/null >');
		expect(script.endsWith('; exec /run/vm-exec/xchg/a.script\n')).toBe(true);
		expect(hasShebang('#!/bin/bash\n')).toBe(true);
		expect(hasShebang(' #!/bin/bash\n')).toBe(false);
	});

	it('ends the script with a newline, once', () => {
		expect(buildRunScript({ id: 'a', cwd: '/', env: {}, hasInput: false, script: 'true' }).endsWith('; true\n')).toBe(true);
		expect(buildRunScript({ id: 'a', cwd: '/', env: {}, hasInput: false, script: 'true\n' }).endsWith('; true\n')).toBe(true);
	});

	it('names the files of an exec after its id, in the exchange dir itself', () => {
		expect(execFileNames('v0x1')).toEqual({
			run: 'v0x1.sh',
			script: 'v0x1.script',
			stdin: 'v0x1.in',
			stdout: 'v0x1.out',
			stderr: 'v0x1.err',
		});
	});

	it('lets the exec environment override the base environment', () => {
		expect(buildRunScript({ id: 'a', cwd: '/', env: { PATH: '/opt/bin' }, hasInput: false, script: 'true' })).toContain(
			"export PATH='/opt/bin'",
		);
	});
});

describe('buildBootEnv', () => {
	it('writes the per-VM settings as shell assignments', () => {
		expect(buildBootEnv({ hostname: 'vm-exec', shared: true, expose: ['/tmp/build'], modulesDir: undefined })).toBe(
			"VMX_HOSTNAME='vm-exec'\nVMX_SHARED=1\nVMX_EXPOSE='/tmp/build'\nVMX_MODULES=''\n",
		);
	});
});

describe('isHiddenInGuest', () => {
	it('knows which host paths the guest covers with its own mounts', () => {
		expect(isHiddenInGuest('/tmp/x')).toBe(true);
		expect(isHiddenInGuest('/run/user/1000')).toBe(true);
		expect(isHiddenInGuest('/tmpfoo')).toBe(false);
		expect(isHiddenInGuest('/home/me')).toBe(false);
	});
});
