/**
 * KVM or TCG for this host, QEMU and kernel: `accel: 'auto'` probes KVM once by booting a VM to `ready`
 * under a short deadline (nested KVM can hang the guest) and remembers the verdict (see qemu/accel.ts).
 */
import { hostArch } from '../arch/arch.js';
import { createDebug } from '../debug.js';
import { Deadline } from '../lifecycle/deadline.js';
import { ResourceStack } from '../lifecycle/resource-stack.js';
import { createWorkspace } from '../lifecycle/workspace.js';
import type { NormalizedVmOptions } from '../options.js';
import { resolveAccel } from '../qemu/accel.js';
import type { Artifacts } from './artifacts.js';
import { type BootContext, planQemu } from './plan.js';
import { bootToReady } from './launch-to-ready.js';

const debug = createDebug('start');

/** How long a KVM probe may take before KVM is declared unusable (a KVM boot takes well under a second). */
const KVM_PROBE_TIMEOUT_MS = 8000;

export async function chooseAccel(options: NormalizedVmOptions, artifacts: Artifacts): Promise<'kvm' | 'tcg'> {
	// KVM runs only the host's own arch: another arch is always emulated.
	if (options.arch !== hostArch()) return 'tcg';
	const decision = await resolveAccel(options.accel, {
		cacheDir: artifacts.cacheDir,
		qemuVersion: artifacts.qemuVersion,
		kernelKey: artifacts.kernelKey,
		probe: async () => {
			const resources = new ResourceStack();
			try {
				const workspace = await createWorkspace();
				resources.defer('probe workspace', () => workspace.remove());
				const probe: BootContext = {
					options: { ...options, console: 'capture', qemuArgs: [] },
					artifacts,
					accel: 'kvm',
					resources,
					// Its own bound, not what is left of the start's: a probe cut short by a tight `bootTimeout`
					// would record KVM as unusable for good. The start's signal still aborts it.
					deadline: new Deadline(KVM_PROBE_TIMEOUT_MS, options.signal),
				};
				await bootToReady(probe, planQemu(probe, workspace, undefined));
				return true;
			} catch (error) {
				debug(`KVM probe failed: ${String(error)}`);
				return false;
			} finally {
				await resources.dispose().catch(() => {});
			}
		},
	});
	debug(`accel ${decision.accel}: ${decision.reason}`);
	return decision.accel;
}
