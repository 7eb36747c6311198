/**
 * `exec(script, { user })`: run a script as another guest user, with that user's uid, gid, supplementary
 * groups, HOME, USER and LOGNAME.
 *
 * The user is looked up in the guest (`getent passwd`) by one exec of its own, so a user that an earlier
 * exec created (`useradd alice`) is found, and an unknown one is a clear error rather than a failing
 * script. The script then runs under util-linux's `setpriv --reuid --regid --init-groups` (the guest runs
 * the host's programs; busybox `su` would need a login shell and a password database it trusts). The script
 * is copied into the guest's /tmp first: the exchange dir is private to the host user, so another guest
 * user could not read it there, and a script passed as an argument would be limited to 128 KiB.
 */
import { randomBytes } from 'node:crypto';
import { VmError } from '../errors.js';
import { shellQuote } from '../protocol/exec-files.js';

/** A guest account, as `getent passwd` gives it. */
export interface GuestAccount {
	name: string;
	uid: number;
	gid: number;
	home: string;
}

/** The `user` option names no account in the guest. */
export class VmUnknownUserError extends VmError {
	override name = 'VmUnknownUserError';
	/** The `user` option as given. */
	user: string;

	constructor(user: string, details: { qemuArgv?: readonly string[] } = {}) {
		super(
			`The user \`${user}\` does not exist in the guest (\`getent passwd ${user}\` found nothing). Create it first (e.g. \`await vm.succeed('useradd ${/^\d+$/.test(user) ? 'someone' : user}')\`), or pass an existing user name or uid as the \`user\` option.`,
			details,
		);
		this.user = user;
	}
}

/** The script that looks the user up: prints its passwd line, exits non-zero when there is none. */
export function buildUserLookup(user: string): string {
	return `getent passwd -- ${shellQuote(user)}`;
}

/** Parse a `getent passwd` line (`name:x:uid:gid:gecos:home:shell`); undefined when it is not one. */
export function parsePasswdLine(line: string): GuestAccount | undefined {
	const fields = line.trim().split('\n')[0]?.split(':') ?? [];
	if (fields.length < 7) return undefined;
	const [name, , uid, gid, , home] = fields;
	if (!name || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) return undefined;
	return { name, uid: Number(uid), gid: Number(gid), home: home || '/' };
}

/**
 * The script run as root that runs `script` as `account`: write it to a guest temp file the user can read,
 * run it with `setpriv` (through `shell`, or directly when it has a `#!` line), remove the file, and exit
 * with its status. Pure.
 */
export function wrapScriptForUser(script: string, account: GuestAccount, shell: string, random = randomBytes(8).toString('hex')): string {
	let marker = `VMX_USER_SCRIPT_${random}`;
	while (script.includes(marker)) marker += 'X';
	const body = script.endsWith('\n') ? script : `${script}\n`;
	const run = script.startsWith('#!') ? '"$vmx_user_script"' : `${shellQuote(shell)} "$vmx_user_script"`;
	return [
		'command -v setpriv >/dev/null 2>&1 || { echo "vm-exec: running as another user needs setpriv (util-linux) in the guest, which runs the host\'s programs" >&2; exit 126; }',
		'vmx_user_script=$(mktemp /tmp/.vm-exec-user.XXXXXX) || exit 126',
		`cat >"$vmx_user_script" <<'${marker}'`,
		`${body}${marker}`,
		'chmod 755 "$vmx_user_script"',
		`export HOME=${shellQuote(account.home)} USER=${shellQuote(account.name)} LOGNAME=${shellQuote(account.name)}`,
		`setpriv --reuid=${account.uid} --regid=${account.gid} --init-groups -- ${run}`,
		'vmx_user_status=$?',
		'rm -f "$vmx_user_script"',
		'exit $vmx_user_status',
		'',
	].join('\n');
}
