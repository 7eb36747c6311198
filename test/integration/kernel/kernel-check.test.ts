/**
 * Kernels that cannot run the guest are refused before QEMU starts, by name, and discovery passes over
 * them. Uses Debian's cloud kernel (no 9p) as `scripts/install-host-deps.sh --kernel=cloud-amd64` unpacks
 * it, and a synthetic copy of the host's kernel whose config lacks 9p.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dir as tempDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { findKernel } from '../../../src/kernel/kernel.js';
import { startVm, VmBootError } from '../../../src/index.js';
import { assertCliBuilt, runCli } from '../../helpers/built-cli.js';
import { AARCH64_ROOT, ARCH_DIR, kernelIn, requireUnpacked } from '../../helpers/arch-dirs.js';

const cloudDir = requireUnpacked(path.join(ARCH_DIR, 'kernel-cloud-amd64'), 'sh scripts/install-host-deps.sh --kernel=cloud-amd64');
const cloudKernel = kernelIn(cloudDir);
const cloudRelease = path.basename(cloudKernel).slice('vmlinuz-'.length);

async function rejectionOf(promise: Promise<unknown>): Promise<VmBootError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(VmBootError);
	return error as VmBootError;
}

describe('a kernel that cannot run the guest', () => {
	it("refuses Debian's cloud kernel by name before QEMU starts", async () => {
		const error = await rejectionOf(startVm({ kernel: cloudKernel, snapshot: false }));
		expect(error.message).toContain(`The kernel ${cloudKernel}`);
		expect(error.message).toContain('CONFIG_9P_FS is not set');
		expect(error.qemuArgv).toBeUndefined();
	});

	it('`vm-exec doctor --kernel` names the same missing options', async () => {
		assertCliBuilt();
		const result = await runCli(['doctor', `--kernel=${cloudKernel}`]);
		expect(result.exitCode).toBe(1);
		expect(Buffer.from(result.stdout as Uint8Array).toString()).toMatch(
			/^FAIL {2}kernel .*cannot run vm-exec's guest: .*CONFIG_9P_FS is not set/m,
		);
	});

	it('refuses a kernel whose config lacks 9p (a synthetic copy of the host kernel)', async () => {
		const host = await findKernel({});
		await using temp = await tempDir({ prefix: 'vm-exec-no9p-', unsafeCleanup: true }).then((dir) => ({
			...dir,
			[Symbol.asyncDispose]: dir.cleanup,
		}));
		await mkdir(path.join(temp.path, 'boot'));
		await mkdir(path.join(temp.path, 'lib', 'modules'), { recursive: true });
		const kernel = path.join(temp.path, 'boot', `vmlinuz-${host.release}`);
		await symlink(host.path, kernel);
		await symlink(host.modulesDir, path.join(temp.path, 'lib', 'modules', host.release));
		const config = (await readFile(`/boot/config-${host.release}`, 'utf8')).replace(/^CONFIG_9P_FS=.*$/m, '# CONFIG_9P_FS is not set');
		await writeFile(path.join(temp.path, 'boot', `config-${host.release}`), config);
		const error = await rejectionOf(startVm({ kernel, snapshot: false }));
		expect(error.message).toMatch(
			/cannot run vm-exec's guest: it lacks what the guest needs \(the 9p file system: CONFIG_9P_FS is not set/,
		);
		expect(error.qemuArgv).toBeUndefined();
	});

	it('refuses a kernel of another arch, and modules of another release', async () => {
		const host = await findKernel({});
		const wrongArch = await rejectionOf(
			startVm({
				kernel: host.path,
				arch: 'aarch64',
				root: requireUnpacked(AARCH64_ROOT, 'sh scripts/install-host-deps.sh --arch aarch64'),
				snapshot: false,
			}),
		);
		expect(wrongArch.message).toContain('it is an x86_64 kernel, not aarch64');
		const wrongModules = await rejectionOf(
			startVm({ kernel: host.path, modules: path.join(cloudDir, 'lib', 'modules', cloudRelease), snapshot: false }),
		);
		expect(wrongModules.message).toContain(`holds modules of Linux ${cloudRelease}, not ${host.release}`);
	});

	it('discovery skips the cloud kernel that sorts first and takes the newest one that can work', async () => {
		const host = await findKernel({});
		await using temp = await tempDir({ prefix: 'vm-exec-discovery-', unsafeCleanup: true }).then((dir) => ({
			...dir,
			[Symbol.asyncDispose]: dir.cleanup,
		}));
		await mkdir(path.join(temp.path, 'boot'));
		await mkdir(path.join(temp.path, 'lib', 'modules'), { recursive: true });
		for (const [kernel, release, modules, config] of [
			[
				cloudKernel,
				cloudRelease,
				path.join(cloudDir, 'lib', 'modules', cloudRelease),
				path.join(cloudDir, 'boot', `config-${cloudRelease}`),
			],
			[host.path, host.release, host.modulesDir, `/boot/config-${host.release}`],
		] as const) {
			await symlink(kernel, path.join(temp.path, 'boot', `vmlinuz-${release}`));
			await symlink(config, path.join(temp.path, 'boot', `config-${release}`));
			await symlink(modules, path.join(temp.path, 'lib', 'modules', release));
		}
		const found = await findKernel({ root: temp.path, arch: 'x86_64' });
		expect(found.release).toBe(host.release);
		expect(found.skipped).toEqual([
			{ path: path.join(temp.path, 'boot', `vmlinuz-${cloudRelease}`), why: expect.stringContaining('CONFIG_9P_FS is not set') },
		]);
	});
});
