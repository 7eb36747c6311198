/**
 * The doctor's KVM check: whether /dev/kvm is there and usable, and what the cached probe verdict says.
 */
import { stat } from 'node:fs/promises';
import type { KernelInfo } from '../../kernel/kernel.js';
import { prepareBootKernel } from '../../boot/vmlinux.js';
import { accelVerdictFile, canOpenKvm, readAccelVerdict } from '../../qemu/accel.js';
import type { QemuBinary } from '../../qemu/host-tools.js';
import { kvmFix, readKvmProvider } from '../../qemu/kvm-provider.js';
import type { DoctorCheck } from './check.js';
import type { Arch } from '../../arch/arch.js';

export async function checkKvm(qemu: QemuBinary | undefined, kernel: KernelInfo | undefined, cacheDir: string): Promise<DoctorCheck> {
	const exists = await stat('/dev/kvm').then(
		() => true,
		() => false,
	);
	if (!exists) {
		return {
			name: 'KVM',
			status: 'warn',
			detail: 'no /dev/kvm: VMs run under TCG software emulation (several times slower)',
			fix: 'enable hardware virtualization (VT-x/AMD-V; nested virtualization on a cloud VM) and `sudo modprobe kvm_intel` or `kvm_amd`',
		};
	}
	if (!(await canOpenKvm())) {
		return {
			name: 'KVM',
			status: 'warn',
			detail: '/dev/kvm is not accessible to this user: VMs run under TCG software emulation (several times slower)',
			fix: '`sudo usermod -aG kvm $USER`, then log in again',
		};
	}
	if (!qemu || !kernel) return { name: 'KVM', status: 'ok', detail: '/dev/kvm is accessible (not probed: see the failures above)' };
	// The verdict of the probe VM is cached per QEMU version and kernel image: read it, if a VM already ran.
	const boot = await prepareBootKernel(kernel.path, cacheDir).catch(() => undefined);
	const verdict = boot ? await readAccelVerdict(accelVerdictFile(cacheDir, qemu.version, boot.key)) : undefined;
	if (!verdict)
		return {
			name: 'KVM',
			status: 'ok',
			detail:
				'/dev/kvm is accessible; not probed yet (the first VM with accel auto probes it and remembers; `vm-exec doctor --boot` does it now)',
		};
	if (verdict.accel === 'kvm') return { name: 'KVM', status: 'ok', detail: `usable: ${verdict.reason}` };
	return {
		name: 'KVM',
		status: 'warn',
		detail: `not used: ${verdict.reason}; VMs run under TCG software emulation (several times slower)`,
		fix: kvmFix(await readKvmProvider()),
	};
}

/** KVM runs only the host's own arch: for another arch, doctor says so instead of checking /dev/kvm. */
export function foreignKvmCheck(arch: Arch, host: Arch | undefined): DoctorCheck | undefined {
	if (arch === host) return undefined;
	return {
		name: 'KVM',
		status: 'ok',
		detail: `not used for an ${arch} guest: KVM runs only the host's own arch (${host ?? process.arch}), so it runs under TCG software emulation (slower, but nothing to fix)`,
	};
}
