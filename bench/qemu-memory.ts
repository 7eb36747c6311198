/**
 * A QEMU process's memory, from /proc: resident, and the part that is its own (anonymous). File-backed
 * pages (the vmlinux it maps, a snapshot's RAM file) are shared with every other VM.
 */
import { readFile } from 'node:fs/promises';

export async function qemuMemoryMiB(pid: number): Promise<{ resident: number; own: number }> {
	const status = await readFile(`/proc/${pid}/status`, 'utf8');
	const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
	return { resident: kib('VmRSS') / 1024, own: kib('RssAnon') / 1024 };
}
