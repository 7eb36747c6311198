import http from 'node:http';
import type net from 'node:net';
import { dir as tempDir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVm } from '../../../src/index.js';

describe('networking in a VM started from a snapshot', () => {
	// A private cache, so that the first VM surely boots cold and saves the snapshot the second one uses.
	let cache: DirectoryResult;
	beforeAll(async () => {
		cache = await tempDir({ prefix: 'vm-exec-net-snapshot-', unsafeCleanup: true });
	});
	afterAll(async () => {
		await cache?.cleanup();
	});

	it('has NAT, forwarded ports and its own LAN address and MAC, like a cold-booted VM', async () => {
		const lan = `test-lan-snapshot-${process.pid}`;
		await using first = await startVm({ cacheDir: cache.path, network: true, lan });
		await using second = await startVm({ cacheDir: cache.path, network: true, lan });
		expect([first.bootedFrom, second.bootedFrom]).toEqual(['cold', 'snapshot']);

		const server = http.createServer((_request, response) => response.end('hello from the host'));
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		try {
			const { port } = server.address() as net.AddressInfo;
			expect((await second.succeed(`wget -qO- http://10.0.2.2:${port}/`)).stdout).toBe('hello from the host');
		} finally {
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}

		await second.succeed('mkdir -p /tmp/www && echo "restored and serving" >/tmp/www/index.html && busybox httpd -p 80 -h /tmp/www');
		const port = await second.forwardPort(80);
		expect(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).toBe('restored and serving\n');

		expect(second.lanAddress).toBe('10.0.3.2');
		expect((await second.succeed('cat /sys/class/net/eth1/address')).stdout).toBe('52:54:0a:00:03:02\n');
		expect((await first.succeed(`wget -qO- http://${second.lanAddress}/index.html`)).stdout).toBe('restored and serving\n');
	});
});
