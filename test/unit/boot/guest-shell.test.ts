import { describe, expect, it } from 'vitest';
import { parseLddOutput } from '../../../src/boot/guest-shell.js';
import { initramfsEntries } from '../../../src/boot/initramfs.js';
import { guestShellSetting } from '../../../src/options/environment.js';

describe('parseLddOutput', () => {
	it('reads glibc ldd output: the loader and each library by the name the program asks for', () => {
		const output = [
			'\tlinux-vdso.so.1 (0x00007ffd6b5f3000)',
			'\tlibtinfo.so.6 => /lib/x86_64-linux-gnu/libtinfo.so.6 (0x00007f4d1c8a0000)',
			'\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f41c9475000)',
			'\t/lib64/ld-linux-x86-64.so.2 (0x00007f41c968d000)',
		].join('\n');
		expect(parseLddOutput(output)).toEqual({
			kind: 'dynamic',
			interpreter: '/lib64/ld-linux-x86-64.so.2',
			libraries: [
				{ name: 'libtinfo.so.6', file: '/lib/x86_64-linux-gnu/libtinfo.so.6' },
				{ name: 'libc.so.6', file: '/lib/x86_64-linux-gnu/libc.so.6' },
			],
		});
	});

	it('reads musl ldd output, where libc is the loader itself', () => {
		const output = '\t/lib/ld-musl-x86_64.so.1 (0x7f0e5b4a1000)\n\tlibc.musl-x86_64.so.1 => /lib/ld-musl-x86_64.so.1 (0x7f0e5b4a1000)\n';
		expect(parseLddOutput(output)).toEqual({ kind: 'dynamic', interpreter: '/lib/ld-musl-x86_64.so.1', libraries: [] });
	});

	it('recognises a static program', () => {
		expect(parseLddOutput('\tnot a dynamic executable\n')).toEqual({ kind: 'static' });
		expect(parseLddOutput('\tstatically linked\n')).toEqual({ kind: 'static' });
	});

	it('refuses a missing library, no loader, CPU-specific libraries and output it does not understand', () => {
		expect(parseLddOutput('\tlibfoo.so.1 => not found\n\t/lib64/ld-linux-x86-64.so.2 (0x1)\n')).toMatchObject({
			kind: 'unusable',
			reason: 'libfoo.so.1 is not found',
		});
		expect(parseLddOutput('\tlibc.so.6 => /lib/libc.so.6 (0x1)\n')).toMatchObject({
			kind: 'unusable',
			reason: expect.stringContaining('no program interpreter'),
		});
		expect(
			parseLddOutput('\tlibz.so.1 => /usr/lib64/glibc-hwcaps/x86-64-v3/libz.so.1 (0x1)\n\t/lib64/ld-linux-x86-64.so.2 (0x2)\n'),
		).toMatchObject({
			kind: 'unusable',
			reason: expect.stringContaining('specific CPU features'),
		});
		expect(parseLddOutput('ldd: /bin/sh: No such file or directory\n')).toMatchObject({ kind: 'unusable' });
		expect(parseLddOutput('')).toMatchObject({ kind: 'unusable' });
	});
});

describe('the shell in the initramfs', () => {
	const base = { busybox: Buffer.from('bb'), applets: [], modules: [] };

	it('carries the shell, its loader and libraries in stage/.vmx, with a mount point for busybox', () => {
		const entries = initramfsEntries({
			...base,
			shell: { sh: Buffer.from('dash'), interpreter: Buffer.from('ld'), libraries: [{ name: 'libc.so.6', data: Buffer.from('libc') }] },
		});
		const files = entries.filter((entry) => entry.path.startsWith('stage/')).map((entry) => `${entry.type} ${entry.path}`);
		expect(files).toEqual([
			'dir stage/.root',
			'dir stage/.vmx',
			'dir stage/dev',
			'fifo stage/.pivot',
			'chardev stage/dev/null',
			'file stage/.vmx/sh',
			'file stage/.vmx/ld.so',
			'file stage/.vmx/libc.so.6',
			'file stage/.vmx/busybox',
		]);
	});

	it('carries no loader for a static shell, and nothing without a shell', () => {
		const staticShell = initramfsEntries({ ...base, shell: { sh: Buffer.from('sh'), interpreter: undefined, libraries: [] } });
		expect(staticShell.map((entry) => entry.path).filter((p) => p.startsWith('stage/.vmx/'))).toEqual([
			'stage/.vmx/sh',
			'stage/.vmx/busybox',
		]);
		expect(
			initramfsEntries(base)
				.map((entry) => entry.path)
				.filter((p) => p.startsWith('stage/.vmx/')),
		).toEqual([]);
	});

	it('reads VM_EXEC_GUEST_SHELL: a path, `none`, or unset for the default', () => {
		expect(guestShellSetting(undefined)).toBeUndefined();
		expect(guestShellSetting('')).toBeUndefined();
		expect(guestShellSetting('none')).toBe(false);
		expect(guestShellSetting('/bin/bash')).toBe('/bin/bash');
	});
});
