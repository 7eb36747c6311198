/**
 * The host directory a VM shares with its guest (`shared` option), for the QEMU VM and the launcher VM
 * alike: none, a fresh private temp dir removed with the VM, or a directory of the user's that must exist.
 */
import { stat } from 'node:fs/promises';
import type { ResourceStack } from './resource-stack.js';
import { createPrivateTempDir } from './workspace.js';

/** The shared dir for a normalized `shared` option; a temp dir's removal is registered on `resources` at once. */
export async function prepareSharedDir(option: string | boolean, resources: ResourceStack): Promise<string | undefined> {
	if (option === false) return undefined;
	if (option === true) {
		const temp = await createPrivateTempDir('vm-exec-shared');
		resources.defer('shared temp dir', () => temp.remove());
		return temp.path;
	}
	const info = await stat(option).catch(() => undefined);
	if (!info?.isDirectory()) {
		throw new TypeError(
			`Expected the \`shared\` option to be an existing host directory, got \`${option}\` (${info ? 'not a directory' : 'it does not exist'}). Create it first, or pass \`shared: true\` for a fresh temporary directory.`,
		);
	}
	return option;
}
