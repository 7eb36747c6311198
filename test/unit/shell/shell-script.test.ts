import { describe, expect, it } from 'vitest';
import { buildShellScript, shellPortName } from '../../../src/shell/shell-script.js';
import { parseRunArgs } from '../../../src/cli/args/parse-args.js';

describe('the guest side of a shell', () => {
	it('waits for its named port, then runs a login shell in a new session on the tty, sized and with default signals', () => {
		const script = buildShellScript({ nr: 2, tty: '/dev/hvc2', size: { rows: 40.7, cols: 120 } });
		expect(script).toContain(`/sys/class/virtio-ports/vport*p2/name 2>/dev/null)" = '${shellPortName(2)}'`);
		expect(script).toContain(
			'exec setsid -w -c env --default-signal=INT,QUIT,TSTP,TTIN,TTOU "$sh" -c \'stty sane rows 40 cols 120; exec "$0" -l\' "$sh" <>\'/dev/hvc2\' >&0 2>&0',
		);
		expect(script).toMatch(/exit 125/);
	});
});

describe('no script', () => {
	it('is a shell on a terminal, a usage error elsewhere, and `vm-exec shell` takes no script', () => {
		expect(parseRunArgs(['--memory=1G'], {}, 'allowed')).toMatchObject({ kind: 'shell', args: { memory: '1G', script: '' } });
		expect(() => parseRunArgs([], {}, 'forbidden')).toThrow('Missing the script');
		expect(parseRunArgs(['true'], {}, 'allowed').kind).toBe('run');
		expect(() => parseRunArgs(['true'], {}, 'only')).toThrow('`vm-exec shell` takes no script');
	});
});

describe('buildShellScript --norc', () => {
	it('starts bash without the startup files, with its usual prompt; a login shell otherwise', () => {
		const size = { rows: 24, cols: 80 };
		const norc = buildShellScript({ nr: 1, tty: '/dev/hvc1', size, norc: true });
		expect(norc).toContain('--noprofile --norc');
		expect(norc).toContain('-i');
		expect(norc).not.toContain('exec "$0" -l');
		expect(buildShellScript({ nr: 1, tty: '/dev/hvc1', size })).toContain('exec "$0" -l');
	});
});
