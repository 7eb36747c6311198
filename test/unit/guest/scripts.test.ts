import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir as tempDir } from 'tmp-promise';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initramfsEntries } from '../../../src/boot/initramfs.js';
import { type GuestScripts, readGuestScripts, runnerProgram } from '../../../src/guest/scripts.js';

const guestDir = new URL('../../../src/guest/', import.meta.url);
const fileText = (name: string) => readFileSync(new URL(name, guestDir), 'utf8');

describe('the guest scripts', () => {
	afterEach(() => {
		vi.doUnmock('../../../src/guest/scripts.js');
		vi.resetModules();
	});

	it('reads init.sh, runner.sh, root.sh, network.sh, coldplug.sh and hotplug.sh from the files next to the loader', () => {
		const scripts = readGuestScripts();
		expect(scripts.init).toBe(fileText('init.sh'));
		expect(scripts.files).toEqual({
			'runner.sh': fileText('runner.sh'),
			'root.sh': fileText('root.sh'),
			'network.sh': fileText('network.sh'),
			'coldplug.sh': fileText('coldplug.sh'),
			'hotplug.sh': fileText('hotplug.sh'),
		});
		expect(scripts.init.startsWith('#!/bin/sh\n')).toBe(true);
	});

	it('packs init.sh as /init and the other scripts in /etc/vm-exec/, byte for byte', () => {
		const entries = initramfsEntries({ busybox: Buffer.from('bb'), applets: [], modules: [] });
		const data = (name: string) => (entries.find((entry) => entry.path === name) as { data?: Buffer } | undefined)?.data;
		expect(data('init')?.equals(readFileSync(new URL('init.sh', guestDir)))).toBe(true);
		for (const name of ['runner.sh', 'root.sh', 'network.sh', 'coldplug.sh', 'hotplug.sh']) {
			expect(data(`etc/vm-exec/${name}`)?.equals(readFileSync(new URL(name, guestDir))), name).toBe(true);
		}
	});

	it('packs the runner program (runner.sh without its comment lines) where the guest init reads it whole with a builtin', async () => {
		// The line in init.sh and this test's read must agree, or the test says nothing about the guest.
		expect(fileText('init.sh')).toContain(`IFS= read -r -d '' RUNNER </etc/vm-exec/runner`);
		const entries = initramfsEntries({ busybox: Buffer.from('bb'), applets: [], modules: [] });
		const packed = (entries.find((entry) => entry.path === 'etc/vm-exec/runner') as unknown as { data: Buffer }).data;
		expect(packed.toString()).toBe(runnerProgram(fileText('runner.sh')));
		const temp = await tempDir({ unsafeCleanup: true });
		try {
			const file = path.join(temp.path, 'runner');
			await writeFile(file, packed);
			// busybox ash, as PID 1 runs it: what it reads is what the runner shell gets as its program.
			const { stdout } = await execa('busybox', ['sh', '-c', `IFS= read -r -d '' RUNNER <"$1"; printf %s "$RUNNER"`, 'sh', file], {
				stripFinalNewline: false,
			});
			expect(stdout).toBe(packed.toString());
			expect(stdout).toBe((await execa('busybox', ['grep', '-v', '^[[:space:]]*#', fileURLToPath(new URL('runner.sh', guestDir))])).stdout);
		} finally {
			await temp.cleanup();
		}
	});

	it('gives the runner a program with no comment lines that dash, bash and busybox ash all parse', async () => {
		const program = runnerProgram(readGuestScripts().files['runner.sh'] ?? '');
		expect(program.split('\n').some((line) => /^\s*#/.test(line))).toBe(false);
		expect(program).toMatch(/^\{ echo started >&5; \}/);
		for (const shell of [['dash'], ['bash'], ['busybox', 'sh']]) {
			const [command, ...args] = shell as [string, ...string[]];
			const result = await execa(command, [...args, '-n', '-c', program], { reject: false });
			expect({ shell: shell.join(' '), exitCode: result.exitCode, stderr: result.stderr }).toEqual({
				shell: shell.join(' '),
				exitCode: 0,
				stderr: '',
			});
		}
	});

	it('gives the initramfs (and so the snapshot) a new key when any guest script changes', async () => {
		const temp = await tempDir({ unsafeCleanup: true });
		try {
			const modulesDir = path.join(temp.path, 'modules');
			await mkdir(path.join(modulesDir, 'kernel'), { recursive: true });
			await writeFile(path.join(modulesDir, 'kernel', 'overlay.ko'), 'module');
			await writeFile(path.join(modulesDir, 'modules.dep'), 'kernel/overlay.ko:\n');
			const busybox = path.join(temp.path, 'busybox');
			await writeFile(busybox, 'busybox');
			const real = readGuestScripts();
			const keyWith = async (scripts: GuestScripts) => {
				vi.resetModules();
				vi.doMock('../../../src/guest/scripts.js', () => ({ readGuestScripts: () => scripts }));
				const { planInitramfs } = await import('../../../src/boot/initramfs-plan.js');
				return (await planInitramfs({ busybox, modulesDir, shell: false })).key;
			};
			const key = await keyWith(real);
			expect(await keyWith({ ...real })).toBe(key);
			expect(await keyWith({ ...real, init: `${real.init}\n` })).not.toBe(key);
			for (const [name, text] of Object.entries(real.files)) {
				expect(await keyWith({ ...real, files: { ...real.files, [name]: `${text}\n` } }), name).not.toBe(key);
			}
		} finally {
			await temp.cleanup();
		}
	});
});
