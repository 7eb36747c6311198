import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { explainKvmProbeFailure, kvmFix, pickKvmProvider, readKvmProvider } from '../../../src/qemu/kvm-provider.js';

describe('the KVM provider', () => {
	it('prefers hardware virtualization over PVM when both are loaded', () => {
		expect(pickKvmProvider(['kvm', 'kvm_pvm', 'kvm_intel'])).toBe('kvm_intel');
		expect(pickKvmProvider(['kvm', 'kvm_amd'])).toBe('kvm_amd');
		expect(pickKvmProvider(['kvm', 'kvm_pvm'])).toBe('kvm_pvm');
		expect(pickKvmProvider(['kvm'])).toBeUndefined();
	});

	it('reads the loaded module from /sys/module', async () => {
		const temp = await dir({ unsafeCleanup: true });
		try {
			expect(await readKvmProvider(temp.path)).toBeUndefined();
			await mkdir(path.join(temp.path, 'kvm_pvm'));
			expect(await readKvmProvider(temp.path)).toBe('kvm_pvm');
		} finally {
			await temp.cleanup();
		}
	});

	it('says that PVM, not a missing nested setting, is why KVM is not used', () => {
		expect(explainKvmProbeFailure('kvm_pvm')).toMatch(/PVM \(kvm_pvm: virtualization without hardware support/);
		expect(kvmFix('kvm_pvm')).toMatch(/^nothing to enable on this host/);
		expect(explainKvmProbeFailure('kvm_intel')).toMatch(/nested virtualization\?/);
		expect(kvmFix(undefined)).toMatch(/enable nested virtualization/);
	});
});
