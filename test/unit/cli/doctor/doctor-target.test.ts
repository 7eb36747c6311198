import { describe, expect, it } from 'vitest';
import {
	defaultArchRoot,
	describeTarget,
	type DoctorTarget,
	parseDoctorTarget,
	rootFix,
	selectDoctorChecks,
} from '../../../../src/cli/doctor/doctor-target.js';
import { UsageError } from '../../../../src/cli/args/usage-error.js';
import { foreignKvmCheck } from '../../../../src/cli/doctor/kvm-check.js';

const X86_HOST = { arch: 'x86_64' as const, env: {}, home: '/home/u' };
const ARM_ROOT = '/home/u/.cache/vm-exec/arch/aarch64';

describe('parseDoctorTarget', () => {
	it("checks the host's arch and / when neither flag is given", () => {
		expect(parseDoctorTarget({}, X86_HOST)).toEqual({
			arch: 'x86_64',
			foreign: false,
			root: undefined,
			rootSource: undefined,
			defaultRoot: '/home/u/.cache/vm-exec/arch/x86_64',
		});
	});

	it('accepts the spellings the options gate accepts', () => {
		for (const value of ['aarch64', 'arm64']) expect(parseDoctorTarget({ arch: value }, X86_HOST).arch).toBe('aarch64');
		for (const value of ['x86_64', 'amd64', 'x64'])
			expect(parseDoctorTarget({ arch: value }, X86_HOST)).toMatchObject({ arch: 'x86_64', foreign: false });
	});

	it('checks the root the install script unpacks for a foreign arch without --root', () => {
		expect(parseDoctorTarget({ arch: 'arm64' }, X86_HOST)).toEqual({
			arch: 'aarch64',
			foreign: true,
			root: ARM_ROOT,
			rootSource: 'default',
			defaultRoot: ARM_ROOT,
		});
	});

	it('checks the given --root, made absolute', () => {
		expect(parseDoctorTarget({ arch: 'aarch64', root: '/srv/arm' }, X86_HOST)).toMatchObject({ root: '/srv/arm', rootSource: 'option' });
		expect(parseDoctorTarget({ root: 'rel' }, X86_HOST)).toMatchObject({
			arch: 'x86_64',
			root: `${process.cwd()}/rel`,
			rootSource: 'option',
		});
	});

	it('says what was wrong and the accepted values on a bad --arch or --root (a usage error)', () => {
		expect(() => parseDoctorTarget({ arch: 'sparc' }, X86_HOST)).toThrow(
			new UsageError('Expected `--arch` to be x86_64 or aarch64 (also amd64, x64, arm64), got `sparc`.'),
		);
		expect(() => parseDoctorTarget({ arch: '' }, X86_HOST)).toThrow(UsageError);
		expect(() => parseDoctorTarget({ root: '' }, X86_HOST)).toThrow(new UsageError('Expected `--root` to be a directory path, got ``.'));
	});

	it('on an arm64 host, aarch64 is native and x86_64 is the foreign arch', () => {
		const host = { ...X86_HOST, arch: 'aarch64' as const };
		expect(parseDoctorTarget({}, host)).toMatchObject({ arch: 'aarch64', foreign: false, root: undefined });
		expect(parseDoctorTarget({ arch: 'amd64' }, host)).toMatchObject({ arch: 'x86_64', foreign: true, rootSource: 'default' });
	});
});

describe('defaultArchRoot', () => {
	it('follows the install script: $VM_EXEC_ARCH_DIR, else $XDG_CACHE_HOME/vm-exec/arch, else ~/.cache/vm-exec/arch', () => {
		expect(defaultArchRoot('aarch64', { VM_EXEC_ARCH_DIR: '/a', XDG_CACHE_HOME: '/x' }, '/h')).toBe('/a/aarch64');
		expect(defaultArchRoot('aarch64', { XDG_CACHE_HOME: '/x' }, '/h')).toBe('/x/vm-exec/arch/aarch64');
		expect(defaultArchRoot('aarch64', { XDG_CACHE_HOME: '' }, '/h')).toBe('/h/.cache/vm-exec/arch/aarch64');
	});
});

describe('selectDoctorChecks', () => {
	const target = (flags: { arch?: string; root?: string }) => parseDoctorTarget(flags, X86_HOST);

	it("runs the host checks for the host's arch and /", () => {
		expect(selectDoctorChecks(target({}))).toEqual([
			'QEMU',
			'KVM',
			'kernel',
			'modules',
			'busybox',
			'shell',
			'cache dir',
			'firmware',
			'bash',
			'readable',
		]);
	});

	it("checks the root instead of the host's shell and bash for aarch64, and no x86 firmware", () => {
		expect(selectDoctorChecks(target({ arch: 'aarch64' }))).toEqual([
			'QEMU',
			'KVM',
			'kernel',
			'modules',
			'root',
			'busybox',
			'cache dir',
			'readable',
		]);
	});

	it('checks the root and the firmware for an x86_64 VM with --root', () => {
		expect(selectDoctorChecks(target({ root: '/srv/x86' }))).toEqual([
			'QEMU',
			'KVM',
			'kernel',
			'modules',
			'root',
			'busybox',
			'cache dir',
			'firmware',
			'readable',
		]);
	});
});

describe('foreignKvmCheck', () => {
	it('says in words, as an ok line, that a foreign arch runs without KVM', () => {
		expect(foreignKvmCheck('aarch64', 'x86_64')).toEqual({
			name: 'KVM',
			status: 'ok',
			detail:
				"not used for an aarch64 guest: KVM runs only the host's own arch (x86_64), so it runs under TCG software emulation (slower, but nothing to fix)",
		});
	});

	it("leaves the host's arch to the real KVM check", () => {
		expect(foreignKvmCheck('x86_64', 'x86_64')).toBeUndefined();
		expect(foreignKvmCheck('aarch64', 'aarch64')).toBeUndefined();
	});
});

describe('rootFix and describeTarget', () => {
	const arm = (root?: string): DoctorTarget => parseDoctorTarget({ arch: 'aarch64', root }, X86_HOST);

	it('names the install script and where it unpacks the root', () => {
		expect(rootFix(arm())).toBe(
			'run `sh scripts/install-host-deps.sh --arch aarch64` (it unpacks a busybox aarch64 root, with its kernel, there), or pass --root=DIR with an aarch64 userland',
		);
		expect(rootFix(arm('/nonexistent'))).toBe(
			`pass --root=DIR with an aarch64 userland (\`sh scripts/install-host-deps.sh --arch aarch64\` unpacks a busybox one, with its kernel, into ${ARM_ROOT})`,
		);
		expect(rootFix(parseDoctorTarget({ root: '/x' }, X86_HOST))).toMatch(/^pass --root=DIR with an x86_64 userland, or leave --root out/);
	});

	it('names the VM in the verdict', () => {
		expect(describeTarget(parseDoctorTarget({}, X86_HOST))).toBe('A VM');
		expect(describeTarget(arm())).toBe('An aarch64 VM');
		expect(describeTarget(arm('/srv/arm'))).toBe('An aarch64 VM with the root /srv/arm');
	});
});
