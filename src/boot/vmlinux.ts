/**
 * Extract the ELF vmlinux from a compressed kernel image, once, into the cache.
 *
 * Why: Debian's /boot/vmlinuz is xz-compressed and decompressing it under software emulation (TCG)
 * takes ~2 s of every boot. The ELF inside boots directly through PVH in ~0.5 s. When anything goes
 * wrong (no PVH note, unknown compression, missing `xz`) we boot the original image: slower, but works.
 */
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { execa } from 'execa';
import { createDebug } from '../debug.js';
import { ensureDir, fileIdentity, hashKey, writeFileAtomic } from '../cache/dir.js';
import { MAX_VMLINUX_FILES, markCacheHit, pruneCachedFiles } from '../cache/prune.js';
import { hasPvhNote, isElf64 } from '../elf/elf64.js';
import { trimElfZeros } from './elf-trim.js';

const debug = createDebug('kernel');

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

/** A decompressing tool that is not installed: the image may still hold a PVH vmlinux. */
class MissingToolError extends Error {}

type Decompressor = (data: Buffer) => Promise<Buffer>;

function tool(command: string, args: string[]): Decompressor {
	return async (data) => {
		const result = await execa(command, args, { input: data, encoding: 'buffer', reject: false, stripFinalNewline: false });
		if (result.failed && (result as { code?: string }).code === 'ENOENT') throw new MissingToolError(command);
		return Buffer.from(result.stdout);
	};
}

const decompressors: { magic: Buffer; name: string; run: Decompressor }[] = [
	{ magic: XZ_MAGIC, name: 'xz', run: tool('xz', ['-dc', '--single-stream']) },
	{ magic: ZSTD_MAGIC, name: 'zstd', run: tool('zstd', ['-dcq']) },
	{ magic: GZIP_MAGIC, name: 'gzip', run: async (data) => gunzipSync(data, { finishFlush: 2 }) },
];

export type PvhExtraction = { elf: Buffer; missingTools?: never } | { elf?: never; missingTools: string[] };

/**
 * Try every compressed stream found in the image until one yields a PVH-bootable ELF. Without one,
 * say which decompressing tools were missing: with them installed, a later try may succeed.
 */
export async function extractPvhVmlinux(image: Buffer): Promise<PvhExtraction> {
	if (isElf64(image)) return hasPvhNote(image) ? { elf: image } : { missingTools: [] };
	const missingTools = new Set<string>();
	for (const { magic, name, run } of decompressors) {
		let offset = image.indexOf(magic);
		let attempts = 0;
		while (offset >= 0 && attempts++ < 4) {
			try {
				const elf = await run(image.subarray(offset));
				if (isElf64(elf)) {
					if (hasPvhNote(elf)) return { elf };
					debug(`${name} stream at ${offset} is an ELF without a PVH note`);
					return { missingTools: [] };
				}
			} catch (error) {
				if (error instanceof MissingToolError) {
					missingTools.add(name);
					break;
				}
				debug(`${name} stream at ${offset}: ${String(error)}`);
			}
			offset = image.indexOf(magic, offset + 1);
		}
	}
	return { missingTools: [...missingTools] };
}

/**
 * The file to pass to `-kernel`: the cached PVH vmlinux when one can be extracted, else the image itself.
 * Cached by the image's content hash.
 */
export async function prepareBootKernel(
	kernelPath: string,
	cacheDir: string,
	/** false: boot the image as is (arm64 has no PVH: QEMU boots its `Image` directly). */
	pvh = true,
): Promise<{ path: string; pvh: boolean; key: string }> {
	const { image, key } = await readKernelImage(kernelPath);
	if (!pvh) return { path: kernelPath, pvh: false, key };
	const cached = path.join(cacheDir, `vmlinux-${key}`);
	const marker = path.join(cacheDir, `vmlinux-${key}.none`);
	if (await isFile(cached)) {
		markCacheHit(cached);
		return { path: cached, pvh: true, key };
	}
	if (await isFile(marker)) return { path: kernelPath, pvh: false, key };
	await ensureDir(cacheDir);
	// Known key but not in this cache dir (another cacheDir, or a cleared cache): read the image now.
	const { elf, missingTools } = await extractPvhVmlinux(image ?? (await readFile(kernelPath)));
	if (elf) {
		const trimmed = trimElfZeros(elf);
		await writeFileAtomic(cached, trimmed);
		debug(`extracted PVH vmlinux ${cached} (${trimmed.length} bytes; ${elf.length - trimmed.length} bytes of zeros left to the loader)`);
		await pruneCachedFiles(cacheDir, { prefix: 'vmlinux-', keep: path.basename(cached), max: MAX_VMLINUX_FILES, companions: ['.none'] });
		return { path: cached, pvh: true, key };
	}
	if (missingTools.length > 0) {
		// Not "this image has none": once the tool is installed, the next start extracts it.
		debug(
			`cannot look into ${kernelPath} without ${missingTools.join(' and ')}; booting the compressed image (~2 s slower under emulation)`,
		);
		return { path: kernelPath, pvh: false, key };
	}
	debug(`no PVH vmlinux in ${kernelPath}; booting the compressed image`);
	await writeFileAtomic(marker, '');
	return { path: kernelPath, pvh: false, key };
}

/** Content keys of kernel images this process has hashed, by file identity: hashing ~10 MB on every start is waste. */
const knownKeys = new Map<string, string>();

/** The image's content key; the bytes only when they had to be read (a kernel not seen before). */
async function readKernelImage(kernelPath: string): Promise<{ image: Buffer | undefined; key: string }> {
	const identity = await fileIdentity(kernelPath);
	const known = knownKeys.get(identity);
	if (known) return { image: undefined, key: known };
	const image = await readFile(kernelPath);
	const key = hashKey('vmlinux-v2', image);
	knownKeys.set(identity, key);
	return { image, key };
}

async function isFile(file: string): Promise<boolean> {
	try {
		return (await stat(file)).isFile();
	} catch {
		return false;
	}
}
