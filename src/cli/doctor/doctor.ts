/**
 * `vm-exec doctor [--arch=ARCH] [--root=PATH] [--kernel=PATH] [--boot]`: one line per check, the fix on each failing one; exits 1 when
 * a VM cannot start.
 */
import type { CliIo } from '../cli-io.js';
import { describeTarget, parseDoctorTarget } from './doctor-target.js';
import { type DoctorCheck, runDoctorChecks, thisHost } from './checks.js';
import { type KeptVmRecord, listKeptVms } from '../../keep/kept-registry.js';
import { EXIT_CODES } from '../exit-codes.js';
import { parseFlags } from '../args/parse-flags.js';
import { UsageError } from '../args/usage-error.js';

const STATUS_LABELS: Record<DoctorCheck['status'], string> = { ok: 'ok', warn: 'warn', fail: 'FAIL' };

export const DOCTOR_USAGE = `Usage: vm-exec doctor [--arch=ARCH] [--root=PATH] [--kernel=PATH] [--boot]

Check everything a VM needs on this host: QEMU and its version, KVM (usable or not, and why), the kernel
and its modules, a static busybox, the cache directory. One line per check; failing ones say how to fix them.
  --arch=ARCH     Check for a VM of this arch, as \`vm-exec --arch\` starts it: x86_64 (amd64) or aarch64
                  (arm64); default: the host's. Another arch needs a root of its own (default: where
                  \`sh scripts/install-host-deps.sh --arch ARCH\` unpacks a busybox one) and runs without KVM
  --root=PATH     Check for a VM with this directory as its root instead of the host's /
  --kernel=PATH   Check this kernel instead of the default one
  --boot          Also boot that VM and run a command in it (this probes KVM, too)
Exit status: 0 when a VM can start (warnings only make it slower), 1 when it cannot, ${EXIT_CODES.usage} on a usage error.
`;

/** Kept VMs hold memory and a CPU's worth of emulation until their limit: doctor says so (pure). */
export function formatKeptNote(kept: readonly KeptVmRecord[], now: number): string {
	if (kept.length === 0) return '';
	const until = Math.max(...kept.map((record) => record.deadline));
	return `\nNote: ${kept.length} kept VM${kept.length === 1 ? '' : 's'} of failed tests still running (the last stops in ${Math.ceil((until - now) / 60_000)} min): \`vm-exec ps\` lists them, \`vm-exec attach <id>\` opens a shell, \`vm-exec kill --all\` stops them.\n`;
}

/** The report: one line per check, and a verdict about `subject` ("A VM", "An aarch64 VM", …) (pure). */
export function formatDoctorReport(checks: readonly DoctorCheck[], subject = 'A VM'): string {
	const width = Math.max(...checks.map((check) => check.name.length));
	const lines = checks.map((check) => {
		const detail = check.fix && check.status !== 'ok' ? `${check.detail.replace(/\.$/, '')}. Fix: ${check.fix}.` : check.detail;
		return `${STATUS_LABELS[check.status].padEnd(5)} ${check.name.padEnd(width)}  ${detail}`;
	});
	const failures = checks.filter((check) => check.status === 'fail').length;
	lines.push(
		failures === 0
			? `${subject} can start on this host.`
			: `${subject} cannot start on this host: fix the ${failures === 1 ? 'FAIL line' : `${failures} FAIL lines`} above.`,
	);
	return `${lines.join('\n')}\n`;
}

function stringFlag(value: unknown): string | undefined {
	return typeof value === 'string' ? value : undefined;
}

export async function runDoctorCommand(argv: readonly string[], io: CliIo): Promise<number> {
	const { flags, positionals, rest } = parseFlags(argv, {
		arch: { type: 'string' },
		root: { type: 'string' },
		kernel: { type: 'string' },
		boot: { type: 'boolean' },
		help: { type: 'boolean', short: 'h' },
	});
	if (flags.help) {
		io.stdout.write(DOCTOR_USAGE);
		return 0;
	}
	if (positionals.length > 0 || rest !== undefined)
		throw new UsageError(`\`vm-exec doctor\` takes no arguments, got \`${[...positionals, ...(rest ? ['--', ...rest] : [])].join(' ')}\`.`);
	const target = parseDoctorTarget({ arch: stringFlag(flags.arch), root: stringFlag(flags.root) }, thisHost());
	const checks = await runDoctorChecks({ kernel: stringFlag(flags.kernel), boot: flags.boot === true, target });
	io.stdout.write(formatDoctorReport(checks, describeTarget(target)));
	io.stdout.write(formatKeptNote(await listKeptVms(), Date.now()));
	return checks.some((check) => check.status === 'fail') ? 1 : 0;
}
