/**
 * Choosing the accelerator. KVM is only used when a probe VM actually boots with it in time: nested KVM
 * may exist as /dev/kvm and still hang the guest kernel, and PVM's /dev/kvm boots one far too slowly. The verdict is cached per host and QEMU.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDebug } from '../debug.js';
import { VmBootError } from '../errors.js';
import { ensureDir, hashKey, writeFileAtomic } from '../cache/dir.js';
import { explainKvmProbeFailure, readKvmProvider } from './kvm-provider.js';

const debug = createDebug('accel');

export async function canOpenKvm(): Promise<boolean> {
	try {
		await access('/dev/kvm', constants.R_OK | constants.W_OK);
		return true;
	} catch {
		return false;
	}
}

export interface AccelDecision {
	accel: 'kvm' | 'tcg';
	reason: string;
}

export function accelVerdictFile(cacheDir: string, qemuVersion: string, kernelKey: string): string {
	return path.join(cacheDir, `accel-${hashKey('accel-v1', qemuVersion, os.release(), kernelKey)}.json`);
}

export async function readAccelVerdict(file: string): Promise<AccelDecision | undefined> {
	try {
		const verdict = JSON.parse(await readFile(file, 'utf8')) as AccelDecision;
		if (verdict.accel === 'kvm' || verdict.accel === 'tcg') return verdict;
	} catch {}
	return undefined;
}

/**
 * Resolve `'auto'` | `'kvm'` | `'tcg'` to the accelerator to boot with. `probe` boots a VM with KVM and
 * resolves true when it became ready within its deadline.
 */
export async function resolveAccel(
	requested: 'auto' | 'kvm' | 'tcg',
	context: { cacheDir: string; qemuVersion: string; kernelKey: string; probe: () => Promise<boolean> },
): Promise<AccelDecision> {
	if (requested === 'tcg') return { accel: 'tcg', reason: 'requested' };
	const kvmOpen = await canOpenKvm();
	if (requested === 'kvm') {
		if (!kvmOpen) {
			throw new VmBootError(
				"accel: 'kvm' was requested but /dev/kvm cannot be opened by this user. Fix: `sudo usermod -aG kvm $USER` (then log in again), or use accel: 'auto' to fall back to software emulation.",
			);
		}
		return { accel: 'kvm', reason: 'requested' };
	}
	if (!kvmOpen) return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible' };
	const file = accelVerdictFile(context.cacheDir, context.qemuVersion, context.kernelKey);
	const cached = await readAccelVerdict(file);
	if (cached) return cached;
	debug('probing KVM');
	const works = await context.probe().catch(() => false);
	const verdict: AccelDecision = works
		? { accel: 'kvm', reason: 'a probe VM booted with KVM' }
		: { accel: 'tcg', reason: explainKvmProbeFailure(await readKvmProvider()) };
	debug(`verdict: ${verdict.accel} (${verdict.reason})`);
	await ensureDir(context.cacheDir);
	await writeFileAtomic(file, JSON.stringify(verdict));
	return verdict;
}
