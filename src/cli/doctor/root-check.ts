/**
 * The doctor's check of the guest's own root (`--root`, or the busybox root a foreign arch needs): a
 * directory, with the shell the CLI runs scripts with, a program of the guest's arch.
 */
import { stat } from 'node:fs/promises';
import { resolveInRoot, resolveRootShell } from '../../boot/root-shell.js';
import { elfArchOf } from '../../qemu/host-tools.js';
import { assertShell } from '../../start/artifacts.js';
import { type DoctorCheck, messageOf } from './check.js';
import { type DoctorTarget, rootFix } from './doctor-target.js';

export async function checkRoot(target: DoctorTarget, shell: string): Promise<DoctorCheck> {
	const { arch, root } = target;
	if (!root) return { name: 'root', status: 'ok', detail: "the host's / (read-only, under a throw-away overlay)" };
	const fail = (detail: string): DoctorCheck => ({ name: 'root', status: 'fail', detail, fix: rootFix(target) });
	const from = target.rootSource === 'option' ? 'from --root' : `where \`install-host-deps.sh --arch ${arch}\` puts it`;
	const info = await stat(root).catch(() => undefined);
	if (!info) return fail(`the ${arch} root ${root} (${from}) does not exist`);
	if (!info.isDirectory()) return fail(`the ${arch} root ${root} (${from}) is not a directory`);
	// The same check startVm makes before it boots, with its words.
	const missing = await assertShell(shell, root).then(
		() => undefined,
		(error: unknown) => messageOf(error),
	);
	if (missing) return fail(missing);
	const file = await resolveInRoot(root, shell);
	const shellArch = file ? await elfArchOf(file).catch(() => undefined) : undefined;
	if (shellArch && shellArch !== arch)
		return fail(`${shell} in the root ${root} is an ${shellArch} program: an ${arch} guest cannot run it`);
	const carried = await resolveRootShell(root, shell, arch);
	const detail = `${root} (${from}) has ${shell}${carried ? `, a static ${arch} program carried into the guest's initramfs` : ' (dynamically linked: the guest starts it after boot)'}`;
	if (target.rootSource === 'option') return { name: 'root', status: 'ok', detail };
	// startVm does not look there by itself: a foreign arch needs its root passed.
	return { name: 'root', status: 'ok', detail: `${detail}; pass it as --root=${root} (the \`root\` option)` };
}
