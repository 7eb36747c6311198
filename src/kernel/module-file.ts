/**
 * Reading a kernel module file, decompressed by its name (`.ko.xz`, `.ko.zst`, `.ko.gz`).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { VmBootError } from '../errors.js';

/** Decompress a module file's bytes according to its name (`.ko.xz`, `.ko.zst`, `.ko.gz`). */
export async function readModuleFile(file: string): Promise<Buffer> {
	const data = await readFile(file);
	const tool = file.endsWith('.xz') ? ['xz', '-dc'] : file.endsWith('.zst') ? ['zstd', '-dcq'] : undefined;
	if (file.endsWith('.gz')) return gunzipSync(data);
	if (!tool) return data;
	const [command, ...args] = tool as [string, ...string[]];
	try {
		return Buffer.from((await execa(command, args, { input: data, encoding: 'buffer', stripFinalNewline: false })).stdout);
	} catch (error) {
		throw new VmBootError(
			`Cannot decompress the kernel module ${file} with \`${command}\`. Install it (\`sudo apt-get install ${command === 'xz' ? 'xz-utils' : 'zstd'}\`).`,
			{ cause: error },
		);
	}
}
