import { describe, expect, it } from 'vitest';
import { parseMemoryMiB, snapshotMemoryMiB } from '../../../src/snapshot/memory.js';

describe('parseMemoryMiB', () => {
	it('reads the sizes QEMU accepts for -m', () => {
		expect(parseMemoryMiB('384')).toBe(384);
		expect(parseMemoryMiB('384M')).toBe(384);
		expect(parseMemoryMiB('1G')).toBe(1024);
		expect(parseMemoryMiB('1.5G')).toBe(1536);
		expect(parseMemoryMiB('size=512M')).toBe(512);
		expect(parseMemoryMiB('262144k')).toBe(256);
	});
	it('refuses what is not a plain size', () => {
		expect(parseMemoryMiB('size=1G,slots=2,maxmem=4G')).toBeUndefined();
		expect(parseMemoryMiB('lots')).toBeUndefined();
		expect(parseMemoryMiB('')).toBeUndefined();
		expect(parseMemoryMiB('1k')).toBeUndefined();
	});
});

describe('snapshotMemoryMiB', () => {
	it('is the memory option, or the last -m in qemuArgs (QEMU takes the last)', () => {
		expect(snapshotMemoryMiB({ memoryMiB: 256 })).toBe(256);
		expect(snapshotMemoryMiB({ memoryMiB: 256, qemuArgs: ['-m', '384M'] })).toBe(384);
		expect(snapshotMemoryMiB({ memoryMiB: 256, qemuArgs: ['-m', '1G', '-device', 'virtio-rng-pci', '--m', '512'] })).toBe(512);
	});
	it('is undefined when qemuArgs arrange guest memory themselves (those VMs boot cold)', () => {
		expect(snapshotMemoryMiB({ memoryMiB: 256, qemuArgs: ['-m', 'size=1G,maxmem=2G,slots=2'] })).toBeUndefined();
		expect(snapshotMemoryMiB({ memoryMiB: 256, qemuArgs: ['-mem-path', '/dev/hugepages'] })).toBeUndefined();
		expect(
			snapshotMemoryMiB({ memoryMiB: 256, qemuArgs: ['-object', 'memory-backend-ram,id=m0,size=256M', '-numa', 'node,memdev=m0'] }),
		).toBeUndefined();
		expect(snapshotMemoryMiB({ memoryMiB: 256, qemuArgs: ['-machine', 'memory-backend=m0'] })).toBeUndefined();
	});
	it('ignores options that do not touch memory', () => {
		expect(
			snapshotMemoryMiB({ memoryMiB: 256, qemuArgs: ['-object', 'rng-random,id=rng0,filename=/dev/urandom', '-machine', 'usb=off'] }),
		).toBe(256);
	});
});
