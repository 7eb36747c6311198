/**
 * Reads what a kernel is (its arch, its config or modules lists, its modules' release) and says whether
 * vm-exec's guest can run on it, with the reasons when not. Remembered per kernel and modules file identity.
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Arch, archSpec } from '../arch/arch.js';
import { isGzip, readKernelImageArch } from '../arch/kernel-image.js';
import { fileIdentity } from '../cache/dir.js';
import {
	describeMissingNeeds,
	findMissingKernelNeeds,
	type KernelFacts,
	kernelNeeds,
	parseKernelConfig,
	readModuleVermagic,
} from './kernel-check.js';
import { parseModulesBuiltin, parseModulesDep } from './module-deps.js';
import { readModuleFile } from './module-file.js';

export interface KernelFitness {
	/** Why the guest cannot run on it; empty when it can. */
	problems: string[];
	/** Where the capabilities were read from. */
	source: string;
}

/** The first bytes of a kernel image, decompressed when the whole image is gzip (Ubuntu's arm64 vmlinuz). */
export async function readKernelHead(file: string, length = 4096): Promise<Buffer> {
	const handle = await open(file, 'r');
	try {
		const head = Buffer.alloc(length);
		const { bytesRead } = await handle.read(head, 0, length, 0);
		if (!isGzip(head)) return head.subarray(0, bytesRead);
	} finally {
		await handle.close();
	}
	return gunzipSync(await readFile(file)).subarray(0, length);
}

/** Where a kernel's build config may be: next to the image, in /boot, in the modules' build tree. */
function configCandidates(kernelPath: string, release: string, modulesDir: string): string[] {
	return [
		path.join(path.dirname(kernelPath), `config-${release}`),
		`/boot/config-${release}`,
		path.join(modulesDir, 'config'),
		path.join(modulesDir, 'build', '.config'),
	];
}

async function readKernelFacts(kernelPath: string, release: string, modulesDir: string): Promise<KernelFacts> {
	for (const file of configCandidates(kernelPath, release, modulesDir)) {
		const text = await readFile(file, 'utf8').catch(() => undefined);
		if (text?.includes('CONFIG_')) return { kind: 'config', source: file, config: parseKernelConfig(text) };
	}
	const depText = await readFile(path.join(modulesDir, 'modules.dep'), 'utf8').catch(() => '');
	const builtinText = await readFile(path.join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '');
	return {
		kind: 'modules',
		source: `${modulesDir}/modules.dep and modules.builtin`,
		modules: new Set(parseModulesDep(depText).keys()),
		builtin: parseModulesBuiltin(builtinText),
	};
}

/** The release the modules in this directory were built for (from one module's vermagic), if any can be read. */
async function readModulesRelease(modulesDir: string): Promise<string | undefined> {
	const depText = await readFile(path.join(modulesDir, 'modules.dep'), 'utf8').catch(() => '');
	const modules = parseModulesDep(depText);
	// A module the guest loads anyway, else the first one listed.
	const entry = modules.get('overlay') ?? modules.get('9p') ?? modules.values().next().value;
	if (!entry) return undefined;
	const data = await readModuleFile(path.join(modulesDir, entry.path)).catch(() => undefined);
	return data ? readModuleVermagic(data) : undefined;
}

const memo = new Map<string, Promise<KernelFitness>>();

/**
 * Whether the guest can run on this kernel for `arch`: the right architecture, modules of its release,
 * and virtio, 9p, overlayfs and the serial driver built in or as modules.
 */
export async function checkKernelFitness(
	kernel: { path: string; release: string; modulesDir: string },
	arch: Arch,
): Promise<KernelFitness> {
	const identity = [arch, kernel.path, kernel.modulesDir, await fileIdentity(kernel.path).catch(() => 'missing')].join('\0');
	let result = memo.get(identity);
	if (!result) {
		result = assessKernel(kernel, arch);
		memo.set(identity, result);
		result.catch(() => memo.delete(identity));
	}
	return result;
}

async function assessKernel(kernel: { path: string; release: string; modulesDir: string }, arch: Arch): Promise<KernelFitness> {
	const problems: string[] = [];
	const imageArch = readKernelImageArch(await readKernelHead(kernel.path).catch(() => Buffer.alloc(0)));
	if (imageArch && imageArch !== arch)
		problems.push(
			`it is an ${imageArch} kernel, not ${arch}: pass \`arch: '${imageArch}'\` (CLI: --arch=${imageArch}) or a kernel of ${arch}`,
		);
	const modulesRelease = await readModulesRelease(kernel.modulesDir);
	if (modulesRelease && modulesRelease !== kernel.release) {
		problems.push(
			`its modules directory ${kernel.modulesDir} holds modules of Linux ${modulesRelease}, not ${kernel.release}: pass the modules of ${kernel.release} as \`modules\``,
		);
	}
	const facts = await readKernelFacts(kernel.path, kernel.release, kernel.modulesDir);
	const missing = findMissingKernelNeeds(facts, kernelNeeds(archSpec(arch)));
	if (missing.length > 0)
		problems.push(
			`it lacks what the guest needs (${describeMissingNeeds(missing)}; read from ${facts.source}): use a distribution kernel (Debian: linux-image-${archSpec(arch).debianArch}; its cloud flavour has no 9p)`,
		);
	return { problems, source: facts.source };
}
