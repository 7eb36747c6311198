/**
 * The layers of `src/`, bottom to top, and the check that keeps them: a file imports only from its own layer
 * and the ones below, and no files import values from each other in a circle. The same list, in words, is in
 * docs/how-it-works.md: a new top folder goes into both, in the lowest layer whose files it needs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkImportGraph, type ImportGraphReport, type LayerTable } from '../../helpers/import-graph.js';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/** Bottom first. A folder is named with its `/`, a file at the root of `src/` by its name. */
const LAYERS: LayerTable = [
	['debug.ts', 'errors.ts', 'arch/', 'kernel-log/'],
	['lifecycle/', 'protocol/', 'guest/', 'cache/', 'tap/'],
	['options/', 'options.ts', 'qemu/', 'disks/'],
	['boot/', 'kernel/', 'elf/', 'snapshot/', 'network/'],
	['vm/'],
	['shell/', 'keep/', 'launcher/'],
	['start/'],
	['start-vm.ts', 'run-in-vm.ts'],
	['pool/'],
	['test-runners/', 'cli/'],
	['index.ts'],
];

/** Every `.ts` file under `src/`, by its path relative to `src/`. */
function readSourceTree(): Map<string, string> {
	const files = new Map<string, string>();
	for (const entry of readdirSync(srcDir, { recursive: true, encoding: 'utf8' })) {
		const file = entry.split(path.sep).join('/');
		if (file.endsWith('.ts')) files.set(file, readFileSync(path.join(srcDir, entry), 'utf8'));
	}
	return files;
}

describe('the layers of src/', () => {
	const files = readSourceTree();
	const report: ImportGraphReport = checkImportGraph(files, LAYERS, {
		root: 'src/',
		tableFile: 'test/unit/architecture/layers.test.ts',
	});

	it('reads the whole tree', () => {
		// A check that read nothing would pass: make sure it sees the files every layer is built on.
		expect(files.size).toBeGreaterThan(100);
		for (const file of ['debug.ts', 'vm/vm.ts', 'start-vm.ts', 'index.ts']) expect(files.has(file), file).toBe(true);
	});

	it('places every file in a layer', () => {
		expect(report.unplaced).toEqual([]);
	});

	it('resolves every relative import to a file of src/', () => {
		expect(report.unresolved).toEqual([]);
	});

	it('has no import from a lower layer to a higher one', () => {
		expect(report.upward).toEqual([]);
	});

	it('has no circle of value imports', () => {
		expect(report.circles).toEqual([]);
	});
});
