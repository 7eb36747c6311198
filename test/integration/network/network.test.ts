import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm, VmError } from '../../../src/index.js';
import { isProcessAlive, leftovers } from '../../helpers/vm-leaks.js';

/** An HTTP server on the host's loopback only, answering every request with `body`. */
async function startHostServer(body: string): Promise<{ port: number; close(): Promise<void> }> {
	const server = http.createServer((_request, response) => response.end(body));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as net.AddressInfo;
	return {
		port,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

describe('startVm({ network: true })', () => {
	let vm: Vm;
	beforeAll(async () => {
		vm = await startVm({ network: true });
	});
	afterAll(async () => {
		await vm?.close();
	});

	it('configures eth0 as 10.0.2.15/24 with the default route via 10.0.2.2', async () => {
		const { stdout } = await vm.succeed('ip -4 -o addr show dev eth0; ip route show default');
		expect(stdout).toContain('inet 10.0.2.15/24');
		expect(stdout).toMatch(/^default via 10\.0\.2\.2 dev eth0/m);
	});

	it("resolves the host's name to 10.0.2.2 and points DNS at QEMU's resolver", async () => {
		const { stdout } = await vm.succeed(`getent hosts ${os.hostname()}; cat /etc/resolv.conf`);
		expect(stdout).toMatch(new RegExp(`^10\\.0\\.2\\.2\\s+.*\\b${os.hostname().replaceAll('.', '\\.')}\\b`, 'm'));
		expect(stdout).toContain('nameserver 10.0.2.3');
	});

	it("reaches a server on the host's loopback through 10.0.2.2 and through the host's name", async () => {
		const server = await startHostServer('hello from the host');
		try {
			const { stdout } = await vm.succeed(
				`wget -qO- http://10.0.2.2:${server.port}/; echo; wget -qO- http://${os.hostname()}:${server.port}/`,
			);
			expect(stdout).toBe('hello from the host\nhello from the host');
		} finally {
			await server.close();
		}
	});

	it('forwards a host port to busybox httpd running in the guest', async () => {
		await vm.succeed('mkdir -p /tmp/www && echo "served by the guest" >/tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www');
		const port = await vm.forwardPort(8080);
		const response = await fetch(`http://127.0.0.1:${port}/index.html`);
		expect(response.status).toBe(200);
		expect(await response.text()).toBe('served by the guest\n');
	});

	it('forwards UDP too, each forward on a port of its own', async () => {
		// A UDP echo server (perl-base is on every Debian host): it answers each datagram to its sender.
		await vm.succeed(
			`perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => 5353, Proto => "udp") or die "$!"; while ($s->recv($d, 1000)) { $s->send("echo: $d") }' >/dev/null 2>&1 &`,
		);
		const [tcp, udp] = [await vm.forwardPort(8080), await vm.forwardPort(5353, { protocol: 'udp' })];
		expect(tcp).not.toBe(udp);
		const socket = dgram.createSocket('udp4');
		const reply = new Promise<string>((resolve) => socket.once('message', (message) => resolve(message.toString())));
		// Datagrams sent before the guest's server is listening are lost: send until one is answered.
		const timer = setInterval(() => socket.send('datagram from the host', udp, '127.0.0.1'), 200);
		try {
			expect(await reply).toBe('echo: datagram from the host');
		} finally {
			clearInterval(timer);
			socket.close();
		}
	});

	it('rejects a guest port that is not a port number', async () => {
		await expect(vm.forwardPort(0)).rejects.toThrow('Expected the guest port to be an integer from 1 to 65535, got `0`.');
		await expect(vm.forwardPort(80, { protocol: 'sctp' as 'tcp' })).rejects.toThrow(TypeError);
	});
});

describe('a VM without `network`', () => {
	it('has only the loopback interface, and forwardPort says how to get a network', async () => {
		await using vm = await startVm();
		const { stdout } = await vm.succeed('ls /sys/class/net');
		expect(stdout.trim()).toBe('lo');
		await expect(vm.forwardPort(80)).rejects.toThrow(VmError);
		await expect(vm.forwardPort(80)).rejects.toThrow('start the VM with `network: true`');
	});
});

describe('a forwarded port after close', () => {
	it('is released when the VM closes', async () => {
		const vm = await startVm({ network: true });
		let port: number;
		try {
			await vm.succeed('mkdir -p /tmp/www && echo hi >/tmp/www/index.html && busybox httpd -p 80 -h /tmp/www');
			port = await vm.forwardPort(80);
			expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
		} finally {
			await vm.close();
		}
		expect(leftovers(vm)).toEqual([]);
		// Nothing listens there any more: a server of our own can take the port.
		const server = net.createServer();
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, '127.0.0.1', resolve);
		});
		await new Promise<void>((resolve) => server.close(() => resolve()));
	});
});

describe('startVm({ lan })', () => {
	const lan = `test-lan-${process.pid}`;
	let server: Vm;
	let client: Vm;
	beforeAll(async () => {
		[server, client] = await Promise.all([startVm({ lan }), startVm({ lan })]);
	});
	afterAll(async () => {
		await Promise.all([server?.close(), client?.close()]);
	});

	it('gives the VMs on a LAN addresses in the order they were started', () => {
		expect([server.lanAddress, client.lanAddress]).toEqual(['10.0.3.1', '10.0.3.2']);
	});

	it('lets a client in one VM reach a server in the other', async () => {
		await server.succeed('mkdir -p /tmp/www && echo "served over the LAN" >/tmp/www/index.html && busybox httpd -p 80 -h /tmp/www');
		const { stdout } = await client.succeed(`wget -qO- http://${server.lanAddress}/index.html`);
		expect(stdout).toBe('served over the LAN\n');
	});

	it('carries traffic both ways (ping), with a MAC address of its own per VM', async () => {
		await server.succeed(`busybox ping -c 1 -W 5 ${client.lanAddress}`);
		const macs = await Promise.all([server, client].map(async (vm) => (await vm.succeed('cat /sys/class/net/eth0/address')).stdout.trim()));
		expect(macs).toEqual(['52:54:0a:00:03:01', '52:54:0a:00:03:02']);
	});

	it('has no route out: the LAN is private', async () => {
		const { stdout } = await client.succeed('ip route');
		expect(stdout.trim()).toBe('10.0.3.0/24 dev eth0 proto kernel scope link src 10.0.3.2');
	});
});

describe('a LAN with addresses chosen by the user, next to a NAT card', () => {
	it('puts the LAN card on eth1 with the given address while eth0 keeps NAT', async () => {
		const lan = `test-lan-explicit-${process.pid}`;
		await using a = await startVm({ lan: { name: lan, address: '192.168.7.2/24' }, network: true });
		await using b = await startVm({ lan: { name: lan, address: '192.168.7.3' } });
		expect([a.lanAddress, b.lanAddress]).toEqual(['192.168.7.2', '192.168.7.3']);
		const { stdout } = await a.succeed('ip -4 -o addr show dev eth0; ip -4 -o addr show dev eth1');
		expect(stdout).toContain('inet 10.0.2.15/24');
		expect(stdout).toContain('inet 192.168.7.2/24');
		await b.succeed('busybox ping -c 1 -W 5 192.168.7.2');
	});

	it('refuses a second VM with an address already taken on the LAN', async () => {
		const lan = `test-lan-taken-${process.pid}`;
		await using a = await startVm({ lan: { name: lan, address: '10.0.3.9' } });
		await expect(startVm({ lan: { name: lan, address: '10.0.3.9' } })).rejects.toThrow(
			'The address 10.0.3.9 is already taken by another VM on the LAN',
		);
		expect(a.lanAddress).toBe('10.0.3.9');
		expect(isProcessAlive(a.pid)).toBe(true);
	});
});
