/**
 * The guest's initramfs file, built once per plan and cached by its key in the cache directory: reads
 * busybox, the planned modules (decompressed) and the carried shell, lays them out (initramfs.ts) and
 * packs them as cpio newc (cpio.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { ensureDir, writeFileAtomic } from '../cache/dir.js';
import { MAX_INITRAMFS_FILES, markCacheHit, pruneCachedFiles } from '../cache/prune.js';
import { readModuleFile } from '../kernel/module-file.js';
import { readBusyboxApplets } from './busybox-applets.js';
import { packCpio } from './cpio.js';
import type { GuestShell } from './guest-shell.js';
import { initramfsEntries } from './initramfs.js';
import { type InitramfsInputs, planInitramfs } from './initramfs-plan.js';

/** The initramfs file for these inputs, built and cached on first use. */
export async function prepareInitramfs(inputs: InitramfsInputs, cacheDir: string): Promise<{ path: string; key: string }> {
	const plan = await planInitramfs(inputs);
	const file = path.join(cacheDir, `initramfs-${plan.key}.cpio`);
	if (
		await stat(file).then(
			(info) => info.isFile(),
			() => false,
		)
	) {
		markCacheHit(file);
		return { path: file, key: plan.key };
	}
	await ensureDir(cacheDir);
	const busybox = await readFile(inputs.busybox);
	// Read from the binary (it may be of another arch than the host's); `--list` for a busybox built without the table.
	const parsed = readBusyboxApplets(busybox);
	const applets = parsed.length >= 20 ? parsed : (await execa(inputs.busybox, ['--list'])).stdout.split('\n').filter(Boolean);
	const readModules = (order: readonly string[]) =>
		Promise.all(
			order.map(async (relative) => ({
				name: path.basename(relative).replace(/\.(xz|zst|gz)$/, ''),
				data: await readModuleFile(path.join(inputs.modulesDir, relative)),
			})),
		);
	const [modules, networkModules, deviceModules, shell] = await Promise.all([
		readModules(plan.moduleOrder),
		readModules(plan.networkModuleOrder),
		readModules(plan.deviceModuleOrder),
		readGuestShell(plan.shell),
	]);
	// Uncompressed on purpose: unpacking a compressed initramfs costs boot time under software emulation.
	await writeFileAtomic(
		file,
		packCpio(
			initramfsEntries({
				arch: inputs.arch,
				release: plan.release,
				busybox,
				applets,
				modules,
				networkModules,
				deviceModules,
				deviceAliases: plan.deviceAliases,
				devnames: plan.devnames,
				runnerShell: plan.runnerShell,
				shell,
			}),
		),
	);
	await pruneCachedFiles(cacheDir, { prefix: 'initramfs-', suffix: '.cpio', keep: path.basename(file), max: MAX_INITRAMFS_FILES });
	return { path: file, key: plan.key };
}

async function readGuestShell(shell: GuestShell | undefined) {
	if (!shell) return undefined;
	const [sh, interpreter, libraries] = await Promise.all([
		readFile(shell.shell),
		shell.interpreter ? readFile(shell.interpreter) : undefined,
		Promise.all(shell.libraries.map(async ({ name, file }) => ({ name, data: await readFile(file) }))),
	]);
	return { sh, interpreter, libraries };
}
