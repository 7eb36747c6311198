// Five brand-new VMs in a row (plain Node.js: no `await using`, which Node 20 does not parse). Each one breaks its system on purpose, and the next one does not notice,
// because it is a fresh VM. The first start of this configuration boots cold and saves a snapshot, and
// the others start from that snapshot.
import { startVm } from 'vm-exec';

for (let round = 1; round <= 5; round++) {
	const started = performance.now();
	const vm = await startVm({ onProgress: (line) => console.error(line), env: { ROUND: String(round) } });
	try {
		const { stdout } = await vm.succeed(
			'cat /etc/marker 2>/dev/null || echo "clean system"; echo "round $ROUND" > /etc/marker; rm -f /usr/bin/env',
		);
		const ms = Math.round(performance.now() - started);
		console.log(`round ${round}: ${vm.bootedFrom.padEnd(8)} ${String(ms).padStart(5)} ms  saw: ${stdout.trim()}`);
	} finally {
		await vm.close();
	}
}
// Compare with `startVm({ snapshot: false })`, which boots cold every time.
