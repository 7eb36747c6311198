import { describe, expect, it } from 'vitest';
import { archOfElfMachine, archSpec, hostArch, virtioDevice } from '../../../src/arch/arch.js';
import { archValue, assertAccelFitsArch, rootValue } from '../../../src/arch/arch-options.js';
import { isGzip, readKernelImageArch } from '../../../src/arch/kernel-image.js';

describe('arch descriptions', () => {
	it('maps Node and ELF names to vm-exec arches', () => {
		expect(hostArch('x64')).toBe('x86_64');
		expect(hostArch('arm64')).toBe('aarch64');
		expect(hostArch('riscv64')).toBeUndefined();
		expect(archOfElfMachine(62)).toBe('x86_64');
		expect(archOfElfMachine(183)).toBe('aarch64');
		expect(archOfElfMachine(243)).toBeUndefined();
	});

	it('names virtio devices by transport', () => {
		expect(virtioDevice(archSpec('x86_64'), 'virtio-9p')).toBe('virtio-9p-pci');
		expect(virtioDevice(archSpec('aarch64'), 'virtio-9p')).toBe('virtio-9p-device');
	});
});

describe('the arch and root options', () => {
	it('accepts the two arches and Debian names for them', () => {
		expect(archValue('aarch64')).toBe('aarch64');
		expect(archValue('arm64')).toBe('aarch64');
		expect(archValue('amd64')).toBe('x86_64');
		expect(archValue(undefined)).toBe(hostArch());
	});

	it("rejects an unknown arch in the gate's words", () => {
		expect(() => archValue('riscv64')).toThrow("Expected the `arch` option to be `'x86_64'` or `'aarch64'`, got `\"riscv64\"`.");
	});

	it("requires a root for another arch than the host's", () => {
		const foreign = hostArch() === 'aarch64' ? 'x86_64' : 'aarch64';
		expect(() => rootValue(undefined, foreign)).toThrow(/Expected the `root` option to be set for an/);
		expect(rootValue('rel/dir', foreign)).toMatch(/^\/.*rel\/dir$/);
		expect(rootValue(undefined, hostArch()!)).toBeUndefined();
		expect(() => rootValue(42, foreign)).toThrow('Expected the `root` option to be a directory path, got `42`.');
	});

	it('refuses KVM for another arch', () => {
		const foreign = hostArch() === 'aarch64' ? 'x86_64' : 'aarch64';
		expect(() => assertAccelFitsArch('kvm', foreign)).toThrow(/Expected the `accel` option to be/);
		expect(() => assertAccelFitsArch('auto', foreign)).not.toThrow();
	});
});

describe('readKernelImageArch', () => {
	it('tells a bzImage, an arm64 Image and ELF images apart', () => {
		const bz = Buffer.alloc(0x300);
		bz.write('HdrS', 0x202, 'latin1');
		expect(readKernelImageArch(bz)).toBe('x86_64');
		const image = Buffer.alloc(0x40);
		image.write('MZ', 0, 'latin1');
		image.write('ARM\x64', 0x38, 'latin1');
		expect(readKernelImageArch(image)).toBe('aarch64');
		const elf = Buffer.alloc(64);
		elf.writeUInt32BE(0x7f454c46, 0);
		elf[5] = 1;
		elf.writeUInt16LE(183, 18);
		expect(readKernelImageArch(elf)).toBe('aarch64');
		elf.writeUInt16LE(62, 18);
		expect(readKernelImageArch(elf)).toBe('x86_64');
		expect(readKernelImageArch(Buffer.from('not a kernel'))).toBeUndefined();
	});

	it('recognizes a gzip stream', () => {
		expect(isGzip(Buffer.from([0x1f, 0x8b, 8]))).toBe(true);
		expect(isGzip(Buffer.from('MZ'))).toBe(false);
	});
});
