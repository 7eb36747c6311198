import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { extractPvhVmlinux, prepareBootKernel } from '../../../src/boot/vmlinux.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

const tempDir = useTempDir();
const savedPath = process.env.PATH;
afterEach(() => {
	process.env.PATH = savedPath;
});

describe('prepareBootKernel', () => {
	it('remembers an image without a PVH vmlinux, so later starts do not look again', async () => {
		const kernel = path.join(tempDir(), 'vmlinuz-plain');
		await writeFile(kernel, Buffer.alloc(4096, 7));
		expect(await prepareBootKernel(kernel, path.join(tempDir(), 'cache'))).toMatchObject({ path: kernel, pvh: false });
		expect((await readdir(path.join(tempDir(), 'cache'))).filter((name) => name.endsWith('.none'))).toHaveLength(1);
	});

	it('does not remember anything when a decompressor was missing: installing it fixes the next start', async () => {
		const kernel = path.join(tempDir(), 'vmlinuz-xz');
		await writeFile(kernel, Buffer.concat([Buffer.alloc(512, 1), XZ_MAGIC, Buffer.alloc(512, 2)]));
		process.env.PATH = path.join(tempDir(), 'no-tools-here');
		expect(await extractPvhVmlinux(Buffer.concat([Buffer.alloc(16), XZ_MAGIC, Buffer.alloc(16)]))).toEqual({ missingTools: ['xz'] });
		expect(await prepareBootKernel(kernel, path.join(tempDir(), 'cache'))).toMatchObject({ path: kernel, pvh: false });
		expect(await readdir(path.join(tempDir(), 'cache'))).toEqual([]);
	});
});
