// Jest with vm-exec: a VM per describe block (`per: 'suite'`) or per test (`per: 'test'`).
// Importing vm-exec/jest also adds the matchers toSucceed(), toFail(), toHaveExitCode() and toHaveStdout().
import { useVm } from 'vm-exec/jest';

describe('sysctl, in one VM for the whole block', () => {
	const vm = useVm({ per: 'suite' });

	it('sets IPv4 forwarding', async () => {
		await vm().succeed('sysctl -w net.ipv4.ip_forward=1');
		expect(await vm().exec('cat /proc/sys/net/ipv4/ip_forward')).toHaveStdout('1');
	});

	it('keeps the setting for the next test of the block', async () => {
		expect(await vm().exec('sysctl -n net.ipv4.ip_forward')).toHaveStdout('1');
	});

	it('refuses an unknown sysctl', async () => {
		const result = await vm().exec('sysctl -w net.ipv4.no_such_setting=1');
		expect(result).toFail();
		expect(result.stderr).toMatch(/No such file or directory|cannot stat/);
	});
});

describe('a dummy network device, in a fresh VM per test', () => {
	const vm = useVm({ per: 'test' });

	it('creates the device with an address', async () => {
		await vm().succeed('modprobe dummy && ip link add d0 type dummy && ip addr add 192.0.2.1/24 dev d0 && ip link set d0 up');
		expect(await vm().exec('ip -4 -o addr show dev d0')).toHaveStdout(/inet 192\.0\.2\.1\/24/);
		expect(await vm().exec('cat /sys/class/net/d0/operstate')).toHaveExitCode(0);
	});

	it('starts without the device of the previous test, or its forwarding setting', async () => {
		expect(await vm().exec('ip link show d0')).toFail();
		expect(await vm().exec('sysctl -n net.ipv4.ip_forward')).toHaveStdout('0');
	});
});
