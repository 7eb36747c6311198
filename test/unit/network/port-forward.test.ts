import { describe, expect, it } from 'vitest';
import type { QmpClient } from '../../../src/qemu/qmp-client.js';
import { PortForwards } from '../../../src/network/port-forward.js';

/** A stand-in for QEMU's monitor that answers HMP commands from a script (the real one is in the integration tests). */
function fakeMonitor(answer: (command: string, index: number) => string) {
	const commands: string[] = [];
	const qmp = {
		humanMonitorCommand: async (command: string) => {
			commands.push(command);
			return answer(command, commands.length - 1);
		},
	} as unknown as QmpClient;
	return { commands, qmp: async () => qmp };
}

describe('PortForwards', () => {
	it('adds a hostfwd rule bound to 127.0.0.1 for the guest port and returns the host port', async () => {
		const monitor = fakeMonitor(() => '');
		const port = await new PortForwards(monitor.qmp).forward(8080);
		expect(monitor.commands).toEqual([`hostfwd_add net0 tcp:127.0.0.1:${port}-:8080`]);
	});

	it('tries another free port when QEMU cannot bind the one it was given', async () => {
		const monitor = fakeMonitor((_command, index) =>
			index < 2 ? "Could not set up host forwarding rule 'udp:127.0.0.1:40000-:53'\r\n" : '',
		);
		const port = await new PortForwards(monitor.qmp).forward(53, { protocol: 'udp' });
		expect(monitor.commands).toHaveLength(3);
		expect(monitor.commands[2]).toBe(`hostfwd_add net0 udp:127.0.0.1:${port}-:53`);
	});

	it('gives up after a few refusals, with QEMU’s words in the error', async () => {
		const monitor = fakeMonitor(() => 'Could not set up host forwarding rule');
		await expect(new PortForwards(monitor.qmp).forward(80)).rejects.toThrow(
			/Cannot forward the guest's TCP port 80 to the host: QEMU refused 5 free ports \(Could not set up host forwarding rule\)/,
		);
	});

	it('removes the rules it added, once', async () => {
		const monitor = fakeMonitor(() => '');
		const forwards = new PortForwards(monitor.qmp);
		const port = await forwards.forward(80);
		await forwards.removeAll();
		await forwards.removeAll();
		expect(monitor.commands.slice(1)).toEqual([`hostfwd_remove net0 tcp:127.0.0.1:${port}`]);
	});

	it.each([[0], [65_536], [1.5], ['80']])('rejects the guest port %j', async (guestPort) => {
		await expect(new PortForwards(fakeMonitor(() => '').qmp).forward(guestPort)).rejects.toThrow(
			'Expected the guest port to be an integer from 1 to 65535',
		);
	});

	it('rejects unknown options and protocols', async () => {
		const forwards = new PortForwards(fakeMonitor(() => '').qmp);
		await expect(forwards.forward(80, { protocol: 'sctp' })).rejects.toThrow(
			"Expected the `protocol` option to be `'tcp'` or `'udp'`, got `\"sctp\"`.",
		);
		await expect(forwards.forward(80, { hostPort: 8080 })).rejects.toThrow('Unknown forwardPort() option `hostPort`.');
	});
});
