/**
 * The links every Linux system has in `/dev` and devtmpfs does not make (systemd and udev make them on a
 * real system): bash's process substitution opens `/dev/fd/63`, and programs (the kernel's own selftests
 * among them) write to `/dev/stdout` and `/dev/stderr`. The initramfs carries them in the directory the
 * guest init copies into `/dev` with one `cp` (src/boot/initramfs.ts, guest/init.sh): no process more.
 */
export const GUEST_DEV_LINKS: readonly (readonly [name: string, target: string])[] = [
	['fd', '/proc/self/fd'],
	['stdin', '/proc/self/fd/0'],
	['stdout', '/proc/self/fd/1'],
	['stderr', '/proc/self/fd/2'],
];
