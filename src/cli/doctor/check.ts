import type { DoctorTarget } from './doctor-target.js';

/**
 * What one doctor check reports, and the helper for checks that find something on the host.
 */

export interface DoctorCheck {
	name: string;
	/** `'fail'`: a VM cannot start; `'warn'`: it can, but slower or with less. */
	status: 'ok' | 'warn' | 'fail';
	detail: string;
	fix?: string;
}

export interface DoctorOptions {
	kernel?: string | undefined;
	cacheDir?: string | undefined;
	/** Also boot a VM and run a command in it: the definitive check (and it probes KVM). */
	boot?: boolean;
	/** The VM to check for (`--arch`, `--root`). @default the host's arch, the host's `/` */
	target?: DoctorTarget;
}

/** The first line of an error: the "why" that vm-exec's errors put first. */
export function messageOf(error: unknown): string {
	return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/**
 * Run one of the finders `startVm` itself uses: ok with what it found, or failed with the first line of
 * its error (which says how to fix it).
 */
export async function checkFinder<T>(
	name: string,
	find: () => Promise<T>,
	describe: (found: T) => string,
): Promise<{ check: DoctorCheck; found?: T }> {
	try {
		const found = await find();
		return { check: { name, status: 'ok', detail: describe(found) }, found };
	} catch (error) {
		return { check: { name, status: 'fail', detail: messageOf(error) } };
	}
}
