import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm, VmExecError, VmTimeoutError } from '../../../src/index.js';

let vm: Vm;
beforeAll(async () => {
	vm = await startVm({ env: { FROM_VM_OPTIONS: 'vm-level' } });
});
afterAll(async () => {
	await vm?.close();
});

describe('vm.exec', () => {
	it.each([0, 1, 7, 255])('returns the exit status %i of the script', async (code) => {
		const result = await vm.exec(`echo out; echo err >&2; exit ${code}`);
		expect(result).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: code, timedOut: false, isCanceled: false });
		expect(result.durationMs).toBeGreaterThan(0);
	});

	it('runs as root with the host kernel', async () => {
		const { stdout } = await vm.exec('id -u; uname -r');
		expect(stdout).toBe(`0\n${vm.kernel.release}\n`);
	});

	it('keeps stdout and stderr apart and byte-exact, including NUL and invalid UTF-8', async () => {
		const result = await vm.exec("printf 'a\\000b\\377\\n'; printf 'e\\001' >&2", { encoding: 'buffer' });
		expect(result.stdout).toEqual(Buffer.from([0x61, 0, 0x62, 0xff, 0x0a]));
		expect(result.stderr).toEqual(Buffer.from([0x65, 1]));
	});

	it('feeds input to the script on stdin', async () => {
		expect((await vm.exec('tr a-z A-Z', { input: 'hello\n' })).stdout).toBe('HELLO\n');
		const bytes = Buffer.from([0, 1, 2, 255, 254]);
		expect((await vm.exec('cat', { input: bytes, encoding: 'buffer' })).stdout).toEqual(bytes);
	});

	it('gives the script an empty stdin when there is no input', async () => {
		expect((await vm.exec('cat; echo end')).stdout).toBe('end\n');
	});

	it('passes the VM env, the exec env (which wins) and a clean base environment', async () => {
		const { stdout } = await vm.exec('echo "$FROM_VM_OPTIONS $ONE $HOME $PATH"; echo "${HOST_ONLY:-unset}"', { env: { ONE: "it's 1" } });
		expect(stdout).toBe("vm-level it's 1 /root /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nunset\n");
		expect((await vm.exec('echo $FROM_VM_OPTIONS', { env: { FROM_VM_OPTIONS: 'exec-level' } })).stdout).toBe('exec-level\n');
	});

	it('runs in the host working directory by default, and in `cwd` when given', async () => {
		expect((await vm.exec('pwd')).stdout).toBe(`${process.cwd()}\n`);
		expect((await vm.exec('pwd', { cwd: '/usr/share' })).stdout).toBe('/usr/share\n');
		const missing = await vm.exec('pwd', { cwd: '/no/such/dir' });
		expect(missing.exitCode).toBe(1);
		expect(missing.stderr).toContain('cannot change to the working directory');
	});

	it('honours a #! line', async () => {
		const { stdout } = await vm.exec('#!/bin/bash\necho "bash ${BASH_VERSINFO[0]}"');
		expect(stdout).toMatch(/^bash \d+\n$/);
	});

	it('runs several execs at once', async () => {
		const results = await Promise.all(
			Array.from({ length: 8 }, (_, index) => vm.exec(`sleep 0.$((RANDOM % 5)) 2>/dev/null; echo ${index}`)),
		);
		expect(results.map((result) => result.stdout)).toEqual(Array.from({ length: 8 }, (_, index) => `${index}\n`));
	});

	it('returns tens of MiB of output intact', async () => {
		const result = await vm.exec('head -c 20000000 /dev/urandom | tee /tmp/big | sha256sum | cut -d" " -f1 >&2; cat /tmp/big', {
			encoding: 'buffer',
		});
		expect(result.stdout.length).toBe(20_000_000);
		expect(createHash('sha256').update(result.stdout).digest('hex')).toBe(result.stderr.toString().trim());
	});

	it('streams output while the command runs', async () => {
		const chunks: string[] = [];
		const result = await vm.exec('echo first; sleep 1; echo second', { onStdout: (chunk) => chunks.push(chunk.toString()) });
		expect(chunks.join('')).toBe('first\nsecond\n');
		expect(chunks.length).toBeGreaterThanOrEqual(2);
		expect(result.stdout).toBe('first\nsecond\n');
	});

	it('kills the whole process tree on timeout, and the VM stays usable', async () => {
		const result = await vm.exec('(sleep 300; echo late) & sleep 300 & echo started; wait', { timeout: 1500 });
		expect(result).toMatchObject({ timedOut: true, exitCode: 137, stdout: 'started\n' });
		const { stdout } = await vm.exec('ps -eo args | grep -c "^sleep 300$" || true');
		expect(stdout).toBe('0\n');
	});

	it('kills only the timed-out command, not what earlier commands left running', async () => {
		// The daemon's exec ends while it runs on, so its cgroup stays busy and is not given to later execs.
		await vm.succeed('sleep 301 >/dev/null 2>&1 </dev/null & echo daemon started');
		for (let index = 0; index < 6; index++) await vm.succeed('true');
		expect(await vm.exec('sleep 302', { timeout: 500 })).toMatchObject({ timedOut: true, exitCode: 137 });
		expect((await vm.exec('ps -eo args | grep -c "^sleep 30[12]$" || true')).stdout).toBe('1\n');
		await vm.succeed('pkill -x -f "sleep 301"');
	});

	it('kills a command whose timeout ends before the command has started', async () => {
		const started = Date.now();
		expect(await vm.exec('sleep 30; echo late', { timeout: 1 })).toMatchObject({ timedOut: true, exitCode: 137, stdout: '' });
		expect(Date.now() - started).toBeLessThan(20_000);
	});

	it('kills the command when its signal is aborted', async () => {
		const controller = new AbortController();
		const pending = vm.exec('sleep 300', { signal: controller.signal });
		setTimeout(() => controller.abort(), 500);
		expect(await pending).toMatchObject({ isCanceled: true, exitCode: 137 });
		expect((await vm.exec('echo still here')).stdout).toBe('still here\n');
	});
});

describe('vm.succeed and vm.fail', () => {
	it('succeed resolves the result of a successful script', async () => {
		expect((await vm.succeed('echo ok')).stdout).toBe('ok\n');
	});

	it('succeed rejects with a VmExecError carrying the output and exit code', async () => {
		const error: unknown = await vm.succeed('echo partial; echo "no such thing" >&2; exit 3').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(VmExecError);
		expect(error).toMatchObject({ exitCode: 3, stdout: 'partial\n', stderr: 'no such thing\n', timedOut: false });
		expect((error as Error).message).toMatch(/^Command failed with exit code 3 in the VM: echo partial;/);
		expect((error as Error).message).toContain('no such thing');
	});

	it('succeed rejects with a VmTimeoutError when the command times out', async () => {
		await expect(vm.succeed('sleep 60', { timeout: 500 })).rejects.toBeInstanceOf(VmTimeoutError);
	});

	it('fail resolves when the script fails and rejects when it succeeds', async () => {
		expect((await vm.fail('exit 4')).exitCode).toBe(4);
		await expect(vm.fail('true')).rejects.toThrow(/expected to fail but exited with code 0/);
	});
});
