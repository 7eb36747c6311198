import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FRESH_PATHS } from '../../../src/guest/fresh-paths.js';

const read = (file: string) => readFile(new URL(`../../../${file}`, import.meta.url), 'utf8');

describe('the paths the guest has its own of', () => {
	it('are made by the guest init: the account files in the upper layer, the dirs as tmpfs mounts of the root', async () => {
		const init = await read('src/guest/init.sh');
		const root = await read('src/guest/root.sh');
		const files = /for f in ([^;]+); do : >"\/rw\/root\/upper\/etc\/\$f"; done/.exec(init)?.[1]?.split(' ');
		const mounts = [...root.matchAll(/^\w+ \$R0(\S+) tmpfs mode=700 0 0/gm)].map((match) => match[1]);
		expect([...(files ?? []).map((name) => `/etc/${name}`), ...mounts].sort()).toEqual(FRESH_PATHS.map((entry) => entry.path).sort());
	});

	it("are each in the docs' table of what the guest sees, as fresh", async () => {
		const api = await read('docs/api.md');
		const section = api.slice(api.indexOf('## What the guest sees'), api.indexOf('## Environment variables'));
		for (const { path } of FRESH_PATHS) expect(section).toMatch(new RegExp(`\`${path.replace(/[-/]/g, '\\$&')}\`[^\\n]*\\*\\*fresh\\*\\*`));
	});
});
