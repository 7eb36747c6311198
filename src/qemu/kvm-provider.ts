/**
 * Which kernel module provides /dev/kvm. Hardware virtualization (kvm_intel, kvm_amd) boots a VM in a
 * fraction of a second; kvm_pvm (PVM, found on some cloud sandboxes) virtualizes without hardware
 * support through shadow page tables, and an unmodified guest kernel crawls there: measured on such a
 * host, each first touch of a guest page cost ~3 ms, so zeroing the kernel's 17 MB .bss alone took 10 s.
 */
import { access } from 'node:fs/promises';

export type KvmProvider = 'kvm_intel' | 'kvm_amd' | 'kvm_pvm';

const PROVIDERS: readonly KvmProvider[] = ['kvm_intel', 'kvm_amd', 'kvm_pvm'];

/** The provider among the loaded modules, hardware first (a host may load PVM next to kvm_intel). */
export function pickKvmProvider(loadedModules: readonly string[]): KvmProvider | undefined {
	return PROVIDERS.find((name) => loadedModules.includes(name));
}

/** The loaded KVM module, from /sys/module; undefined when none of the known ones is loaded. */
export async function readKvmProvider(sysModule = '/sys/module'): Promise<KvmProvider | undefined> {
	const loaded = await Promise.all(
		PROVIDERS.map(async (name) =>
			(await access(`${sysModule}/${name}`).then(
				() => true,
				() => false,
			))
				? name
				: undefined,
		),
	);
	return pickKvmProvider(loaded.filter((name): name is KvmProvider => name !== undefined));
}

/** Why a probe VM did not boot with KVM in time, in words a user can act on. */
export function explainKvmProbeFailure(provider: KvmProvider | undefined): string {
	if (provider === 'kvm_pvm') {
		return '/dev/kvm is PVM (kvm_pvm: virtualization without hardware support, too slow for an unmodified kernel) and a probe VM did not boot with it in time';
	}
	return '/dev/kvm exists but a probe VM did not boot with it in time (nested virtualization?)';
}

/** What to do when KVM is not used although /dev/kvm exists. */
export function kvmFix(provider: KvmProvider | undefined): string {
	if (provider === 'kvm_pvm') {
		return 'nothing to enable on this host: PVM cannot boot an unmodified kernel fast; a host with hardware virtualization (VT-x/AMD-V, or nested virtualization enabled on a cloud VM) runs VMs several times faster';
	}
	return 'on a VM host, enable nested virtualization for this machine; to probe again, delete the cached verdict in the cache dir (accel-*.json)';
}
