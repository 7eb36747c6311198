/**
 * How soon the kernel prints its first line after QEMU starts: the QEMU command line of a cold VM started
 * with `console: 'inherit'` (the same kernel, initramfs, firmware, machine and CPU, and the boot log on:
 * `loglevel=7`), built by the real argv builder (see raw-boot.ts), stopped at the console's first byte.
 */
import { type RawBootSetup, timeToConsole } from './raw-boot.js';
import { sample } from './table.js';

export async function benchFirstKernelLine(setup: RawBootSetup, count: number): Promise<number[]> {
	return sample(count, () =>
		timeToConsole(setup, { extraKernelFlags: ['loglevel=7'] }, (output) => output.length > 0, 'the kernel printed anything'),
	);
}
