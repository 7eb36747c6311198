/**
 * This spec FAILS ON PURPOSE, to show `keep: 'failed'`: run it with `npm run keep-demo`
 * (`VM_EXEC_KEEP=failed vitest run --config vitest.keep-demo.config.ts`). Its failure report ends with the
 * `vm-exec attach <id>` command that opens a shell in the VM, exactly as the test left it.
 */
import { expect, test } from 'vm-exec/vitest';

test('a new dummy device is up (it is not: nobody ran `ip link set d0 up`)', async ({ vm }) => {
	await vm.succeed(`
		modprobe dummy
		ip link add d0 type dummy
		echo 'left here by the failing test' > /root/left-behind
	`);
	expect(await vm.exec('cat /sys/class/net/d0/operstate')).toHaveStdout('up');
});
