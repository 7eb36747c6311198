import { describe, expect, it } from 'vitest';
import { formatDoctorReport } from '../../../../src/cli/doctor/doctor.js';
import { EXIT_CODES, exitCodeForSignal } from '../../../../src/cli/exit-codes.js';
import { formatUsage } from '../../../../src/cli/args/usage.js';

describe('formatDoctorReport', () => {
	it('prints one aligned line per check, the fix only on failing or warning ones, and a verdict', () => {
		const report = formatDoctorReport([
			{ name: 'QEMU', status: 'ok', detail: '/usr/bin/qemu-system-x86_64 (version 8.2.2)', fix: 'never shown' },
			{ name: 'KVM', status: 'warn', detail: 'no /dev/kvm', fix: 'enable it' },
			{ name: 'cache dir', status: 'fail', detail: '/x is not writable.', fix: 'set VM_EXEC_CACHE' },
		]);
		expect(report).toBe(
			[
				'ok    QEMU       /usr/bin/qemu-system-x86_64 (version 8.2.2)',
				'warn  KVM        no /dev/kvm. Fix: enable it.',
				'FAIL  cache dir  /x is not writable. Fix: set VM_EXEC_CACHE.',
				'A VM cannot start on this host: fix the FAIL line above.',
				'',
			].join('\n'),
		);
	});

	it('says a VM can start when only warnings remain', () => {
		expect(formatDoctorReport([{ name: 'KVM', status: 'warn', detail: 'slow' }])).toMatch(/A VM can start on this host.\n$/);
	});

	it('names the VM it checked for in the verdict', () => {
		const ok = { name: 'QEMU', status: 'ok', detail: 'found' } as const;
		const failed = { name: 'root', status: 'fail', detail: 'missing' } as const;
		expect(formatDoctorReport([ok], 'An aarch64 VM')).toMatch(/\nAn aarch64 VM can start on this host.\n$/);
		expect(formatDoctorReport([ok, failed], 'A VM with the root /x')).toMatch(
			/\nA VM with the root \/x cannot start on this host: fix the FAIL line above.\n$/,
		);
	});
});

describe('exit codes', () => {
	it("are distinct from each other and from the shell's 126/127 and the signal range", () => {
		const codes: number[] = Object.values(EXIT_CODES);
		expect(new Set(codes).size).toBe(codes.length);
		for (const code of codes) expect(code === 126 || code === 127 || code > 128).toBe(false);
		expect([exitCodeForSignal('SIGINT'), exitCodeForSignal('SIGTERM')]).toEqual([130, 143]);
	});

	it('are documented in the usage text', () => {
		const usage = formatUsage([{ name: 'doctor', summary: 'check the host' }]);
		for (const code of Object.values(EXIT_CODES)) expect(usage).toContain(`  ${code} `);
		expect(usage).toContain('  doctor  check the host');
	});
});
