import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildBootEnv, buildRunScript, isHiddenInGuest, shellQuote } from '../../../src/protocol/exec-files.js';

describe('shellQuote', () => {
	it.each(["it's", 'a b', '$(rm -rf /)', '`x`', 'back\\slash', '', 'new\nline'])('quotes %j so that the shell reads it back unchanged', (value) => {
		expect(execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(value)}`]).toString()).toBe(value);
	});
});

describe('buildRunScript', () => {
	it('redirects stdio to the exchange files, sets the environment and directory, then sources the script', () => {
		const script = buildRunScript({ id: 'v0x1', cwd: '/home/me/project', env: { FOO: "a'b" }, hasInput: true, hasShebang: false });
		expect(script).toContain('exec </run/vm-exec/xchg/v0x1/stdin >/run/vm-exec/xchg/v0x1/stdout 2>/run/vm-exec/xchg/v0x1/stderr');
		expect(script).toContain("export FOO='a'\\''b'");
		expect(script).toContain("export PATH='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'");
		expect(script).toContain("cd '/home/me/project' ||");
		expect(script.trimEnd().split('\n').at(-1)).toBe('. /run/vm-exec/xchg/v0x1/script');
	});

	it('reads /dev/null when there is no input and executes #! scripts directly', () => {
		const script = buildRunScript({ id: 'a', cwd: '/', env: {}, hasInput: false, hasShebang: true });
		expect(script).toContain('exec </dev/null >');
		expect(script.trimEnd().split('\n').at(-1)).toBe('exec /run/vm-exec/xchg/a/script');
	});

	it('lets the exec environment override the base environment', () => {
		expect(buildRunScript({ id: 'a', cwd: '/', env: { PATH: '/opt/bin' }, hasInput: false, hasShebang: false })).toContain("export PATH='/opt/bin'");
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
