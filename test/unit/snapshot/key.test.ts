import { describe, expect, it } from 'vitest';
import { buildQemuArgv, type QemuPlan } from '../../../src/qemu/argv/qemu-argv.js';
import { samplePlan } from '../../helpers/qemu-plan.js';
import { computeSnapshotKey, normalizeQemuArgs, type SnapshotKeyInput, withoutIncoming } from '../../../src/snapshot/key.js';

function keyOf(workspace: string, overrides: Partial<QemuPlan> = {}, input: Partial<SnapshotKeyInput> = {}): string {
	return computeSnapshotKey({
		qemuArgs: buildQemuArgv(samplePlan(workspace, overrides)),
		perVmPaths: [workspace],
		qemu: { path: '/usr/bin/qemu-system-x86_64', version: '7.2.22', identity: 'size:mtime' },
		kernelKey: 'kernel-1',
		fileIdentities: [],
		...input,
	});
}

describe('snapshot cache key', () => {
	it('is the same for two VMs that differ only in their workspace paths', () => {
		expect(keyOf('/tmp/vm-exec-1-aaa')).toBe(keyOf('/tmp/vm-exec-2-bbb'));
	});

	it('normalizes paths that QEMU option values write with doubled commas', () => {
		const args = normalizeQemuArgs(['socket,id=control,path=/tmp/a,,b/control.sock', '/tmp/a,b/x'], ['/tmp/a,b']);
		expect(args).toEqual(['socket,id=control,path=<per-vm-0>/control.sock', '<per-vm-0>/x']);
	});

	it('replaces a longer per-VM path before a shorter one it contains', () => {
		expect(normalizeQemuArgs(['/w/shared/x', '/w/y'], ['/w', '/w/shared'])).toEqual(['<per-vm-0>/x', '<per-vm-1>/y']);
	});

	it('ignores -incoming, so a restored VM computes the key of the VM that saved it', () => {
		const args = buildQemuArgv(samplePlan('/w'));
		expect(withoutIncoming(buildQemuArgv(samplePlan('/w', { incoming: 'defer' })))).toEqual(args);
		expect(keyOf('/w', { incoming: 'defer' })).toBe(keyOf('/w'));
	});

	it.each<[string, Partial<QemuPlan>]>([
		['memory', { memoryMiB: 512 }],
		['cpus', { cpus: 2 }],
		['accelerator', { accel: 'kvm' }],
		['initramfs', { initramfs: '/cache/initramfs-other.cpio' }],
		['boot kernel file', { kernel: '/cache/vmlinux-other' }],
		['firmware', { bios: undefined }],
		['extra QEMU arguments (devices)', { qemuArgs: ['-device', 'virtio-rng-pci'] }],
		['network card', { userNetwork: true }],
	])('changes with the %s', (_, overrides) => {
		expect(keyOf('/w', overrides)).not.toBe(keyOf('/w'));
	});

	it('changes with the kernel content, the QEMU version and the QEMU binary file', () => {
		const base = keyOf('/w');
		expect(keyOf('/w', {}, { kernelKey: 'kernel-2' })).not.toBe(base);
		expect(keyOf('/w', {}, { qemu: { path: '/usr/bin/qemu-system-x86_64', version: '8.0.0', identity: 'size:mtime' } })).not.toBe(base);
		expect(keyOf('/w', {}, { qemu: { path: '/usr/bin/qemu-system-x86_64', version: '7.2.22', identity: 'other' } })).not.toBe(base);
		expect(keyOf('/w', {}, { fileIdentities: ['/usr/share/qemu/qboot.rom:1:2'] })).not.toBe(base);
	});
});
