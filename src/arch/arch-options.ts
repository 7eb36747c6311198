/**
 * The `arch` and `root` options, validated for the options gate (src/options.ts).
 */
import path from 'node:path';
import { type Arch, ARCHES, hostArch } from './arch.js';

function describe(value: unknown): string {
	return typeof value === 'string' ? `\`${JSON.stringify(value)}\`` : `\`${String(value)}\``;
}

/** Other names of the arches (Debian's and Node's), accepted wherever an arch is. */
export const ARCH_ALIASES: Readonly<Record<string, Arch>> = { amd64: 'x86_64', x64: 'x86_64', arm64: 'aarch64' };

/** `arch`: `'x86_64'` or `'aarch64'` (Debian's `amd64`/`arm64` are accepted too); default: the host's. */
export function archValue(value: unknown): Arch {
	if (value === undefined) return hostArch() ?? 'x86_64';
	if (typeof value === 'string') {
		const arch = (ARCHES as readonly string[]).includes(value) ? (value as Arch) : ARCH_ALIASES[value];
		if (arch) return arch;
	}
	throw new TypeError(`Expected the \`arch\` option to be ${ARCHES.map((arch) => `\`'${arch}'\``).join(' or ')}, got ${describe(value)}.`);
}

/**
 * `root`: the directory the guest sees as its read-only lower root instead of the host's `/`. A guest of
 * another arch than the host's needs one: the host's programs cannot run in it.
 */
export function rootValue(value: unknown, arch: Arch): string | undefined {
	if (value === undefined) {
		if (arch !== hostArch()) {
			throw new TypeError(
				`Expected the \`root\` option to be set for an ${arch} guest: the host's / holds ${hostArch() ?? process.arch} programs that cannot run in it. Pass a directory with an ${arch} userland (\`sh scripts/install-host-deps.sh --arch ${arch}\` makes a busybox one), CLI: --root=DIR.`,
			);
		}
		return undefined;
	}
	if (typeof value !== 'string' || value === '' || value.includes('\0')) {
		throw new TypeError(`Expected the \`root\` option to be a directory path, got ${describe(value)}.`);
	}
	return path.resolve(value);
}

/** KVM runs only the host's own arch: asking for it for another arch is a mistake to say at once. */
export function assertAccelFitsArch(accel: string, arch: Arch): void {
	if (accel === 'kvm' && arch !== hostArch()) {
		throw new TypeError(
			`Expected the \`accel\` option to be \`'auto'\` or \`'tcg'\` for an ${arch} guest on this ${hostArch() ?? process.arch} host (KVM runs only the host's arch), got \`"kvm"\`.`,
		);
	}
}
