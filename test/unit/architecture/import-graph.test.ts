/** The import-graph check behind layers.test.ts, on tiny trees held in memory. */
import { describe, expect, it } from 'vitest';
import { checkImportGraph, extractImports, type LayerTable, resolveImport } from '../../helpers/import-graph.js';

const LAYERS: LayerTable = [['base.ts', 'low/'], ['mid/'], ['top.ts']];

/** A tree from path → source; every file the table places, unless a test says otherwise. */
const tree = (files: Record<string, string>) => new Map(Object.entries(files));
const check = (files: Record<string, string>) => checkImportGraph(tree(files), LAYERS, { root: 'src/', tableFile: 'layers.test.ts' });

describe('extractImports', () => {
	it.each([
		["import { a } from './a.js';", { specifier: './a.js', typeOnly: false }],
		["import a from './a.js';", { specifier: './a.js', typeOnly: false }],
		["import * as a from './a.js';", { specifier: './a.js', typeOnly: false }],
		["import './a.js';", { specifier: './a.js', typeOnly: false }],
		["import {} from './a.js';", { specifier: './a.js', typeOnly: false }],
		["import type { A } from './a.js';", { specifier: './a.js', typeOnly: true }],
		["import { type A, type B } from './a.js';", { specifier: './a.js', typeOnly: true }],
		["import { type A, b } from './a.js';", { specifier: './a.js', typeOnly: false }],
		["import a, { type B } from './a.js';", { specifier: './a.js', typeOnly: false }],
		["export { a } from './a.js';", { specifier: './a.js', typeOnly: false }],
		["export * from './a.js';", { specifier: './a.js', typeOnly: false }],
		["export * as a from './a.js';", { specifier: './a.js', typeOnly: false }],
		["export type { A } from './a.js';", { specifier: './a.js', typeOnly: true }],
		["export { type A } from './a.js';", { specifier: './a.js', typeOnly: true }],
		["export { type A, b } from './a.js';", { specifier: './a.js', typeOnly: false }],
		["const a = await import('./a.js');", { specifier: './a.js', typeOnly: false }],
		['let a: typeof import("./a.js");', { specifier: './a.js', typeOnly: true }],
		["import { execa } from 'execa';", { specifier: 'execa', typeOnly: false }],
	])('reads %s', (source, expected) => {
		expect(extractImports('x.ts', source)).toEqual([{ ...expected, line: 1 }]);
	});

	it('reads no import from a string, a comment, a local export or an import() of a computed name', () => {
		const source = [
			'const text = "import { a } from \'./a.js\'";',
			"// import { b } from './b.js';",
			"/** import('./c.js') */",
			'export { text };',
			'export const d = 1;',
			'await import(`./${text}.js`);',
		].join('\n');
		expect(extractImports('x.ts', source)).toEqual([]);
	});

	it('gives the line each import starts on', () => {
		const source = "/** Header. */\nimport {\n\ta,\n} from './a.js';\n\nfunction f() {\n\treturn import('./b.js');\n}\n";
		expect(extractImports('x.ts', source).map(({ specifier, line }) => [specifier, line])).toEqual([
			['./a.js', 2],
			['./b.js', 7],
		]);
	});
});

describe('resolveImport', () => {
	const files = new Set(['index.ts', 'low/a.ts', 'low/deep/b.ts', 'mid/index.ts']);
	it.each([
		['low/deep/b.ts', '../a.js', 'low/a.ts'],
		['index.ts', './low/a.js', 'low/a.ts'],
		['index.ts', './low/a', 'low/a.ts'],
		['index.ts', './low/a.ts', 'low/a.ts'],
		['low/a.ts', './deep/b.js', 'low/deep/b.ts'],
		['low/a.ts', '../mid/index.js', 'mid/index.ts'],
		['low/a.ts', '../mid', 'mid/index.ts'],
		['low/a.ts', '../mid/', 'mid/index.ts'],
		['low/deep/b.ts', '../..', 'index.ts'],
		['low/a.ts', './missing.js', null],
		['low/a.ts', 'node:fs', undefined],
		['low/a.ts', 'execa', undefined],
	])('in %s, resolves %s to %s', (from, specifier, expected) => {
		expect(resolveImport(from, specifier, files)).toBe(expected);
	});
});

describe('checkImportGraph', () => {
	it('passes a tree that imports downwards and within a layer, without circles', () => {
		expect(
			check({
				'base.ts': 'export const base = 1;',
				'low/a.ts': "import { base } from '../base.js';\nexport const a = base;",
				'mid/b.ts': "import { a } from '../low/a.js';\nimport { c } from './c.js';\nexport const b = a + c;",
				'mid/c.ts': "import type { A } from '../low/a.js';\nexport const c = 2;",
				'top.ts': "export { b } from './mid/b.js';\nexport * from './low/a.js';",
			}),
		).toEqual({ unplaced: [], unresolved: [], upward: [], circles: [] });
	});

	it('finds an import from a lower layer up to a higher one, and says which file imports which and how to mend it', () => {
		const report = check({
			'low/a.ts': "import { b } from '../mid/b.js';\nexport const a = b;",
			'mid/b.ts': 'export const b = 1;',
		});
		expect(report.upward).toEqual([
			'src/low/a.ts:1 imports src/mid/b.ts, a higher layer: low/ is in layer 1 (base.ts low/), mid/ in layer 2 (mid/), and a file ' +
				'imports only from its own layer and lower ones. To mend it, move what it uses down to layer 1 or below, or have a caller ' +
				'in layer 2 or above pass it in.',
		]);
		expect(report.circles).toEqual([]);
	});

	it('counts a type-only import upwards too, and says to import the type from the file that owns it lower down', () => {
		const report = check({
			'base.ts': "import type { B } from './mid/b.js';\nexport const base = (b: B) => b;",
			'mid/b.ts': 'export type B = number;',
			'top.ts': "export const t = await import('./mid/b.js');",
		});
		expect(report.upward).toEqual([
			expect.stringMatching(
				/^src\/base\.ts:1 imports types from src\/mid\/b\.ts, a higher layer: .* To mend it, declare the type in the file that owns it, in layer 1 or below, and import it from there\.$/,
			),
		]);
	});

	it('finds a circle of value imports, also within one layer, and names each import of it', () => {
		const report = check({
			'mid/a.ts': "import { b } from './b.js';\nexport const a = () => b;",
			'mid/b.ts': "import { c } from './c.js';\nexport const b = () => c;",
			'mid/c.ts': "// The way back.\nimport { a } from './a.js';\nexport const c = () => a;",
		});
		expect(report.upward).toEqual([]);
		// One circle of three files, told once (not once from each of its files).
		expect(report.circles).toEqual([
			'Import circle of values: src/mid/a.ts → src/mid/b.ts → src/mid/c.ts → src/mid/a.ts (src/mid/a.ts:1 imports src/mid/b.ts, ' +
				'src/mid/b.ts:1 imports src/mid/c.ts, src/mid/c.ts:2 imports src/mid/a.ts). To mend it, move what they share into a file ' +
				'that none of them imports back (lower down), or make an import type-only (`import type`) where only types cross.',
		]);
	});

	it('finds a circle of re-exports and dynamic imports, and a file that imports itself', () => {
		const report = check({
			'mid/a.ts': "export * from './b.js';",
			'mid/b.ts': "export const load = () => import('./a.js');",
			'mid/self.ts': "import { x } from './self.js';\nexport const y = x;",
		});
		expect(report.circles.map((message) => message.split(' (')[0])).toEqual([
			'Import circle of values: src/mid/a.ts → src/mid/b.ts → src/mid/a.ts',
			'Import circle of values: src/mid/self.ts → src/mid/self.ts',
		]);
	});

	it('finds both circles through one file, not only the first', () => {
		const report = check({
			'mid/hub.ts': "import './a.js';\nimport './b.js';",
			'mid/a.ts': "import './hub.js';",
			'mid/b.ts': "import './hub.js';",
		});
		expect(report.circles.map((message) => message.split(' (')[0])).toEqual([
			'Import circle of values: src/mid/a.ts → src/mid/hub.ts → src/mid/a.ts',
			'Import circle of values: src/mid/b.ts → src/mid/hub.ts → src/mid/b.ts',
		]);
	});

	it.each([
		["import type { A } from './a.js';", []],
		["import { type A } from './a.js';", []],
		["export type { A } from './a.js';", []],
		["export const b = (x: typeof import('./a.js')) => x;", []],
		// One value among the types makes it a circle.
		["import { type A, a } from './a.js';", ['Import circle of values: src/mid/a.ts → src/mid/b.ts → src/mid/a.ts']],
	])('allows a circle that only types close: %s', (wayBack, expected) => {
		const report = check({ 'mid/a.ts': "import { b } from './b.js';\nexport type A = number;\nexport const a = b;", 'mid/b.ts': wayBack });
		expect(report.circles.map((message) => message.split(' (')[0])).toEqual(expected);
	});

	it('names a folder the table lacks, and where to add it', () => {
		const report = check({ 'base.ts': '', 'new/x.ts': '', 'new/y.ts': '', 'loose.ts': '' });
		expect(report.unplaced).toEqual([
			'src/loose.ts is in no layer (src/loose.ts): add it to the layer table in layers.test.ts and to the layers in ' +
				'docs/how-it-works.md, in the lowest layer whose files it needs to import.',
			'src/new/ is in no layer (src/new/x.ts, src/new/y.ts): add it to the layer table in layers.test.ts and to the layers in ' +
				'docs/how-it-works.md, in the lowest layer whose files it needs to import.',
		]);
	});

	it('names a relative import that resolves to no file', () => {
		expect(check({ 'mid/a.ts': "\nimport { gone } from './gone.js';" }).unresolved).toEqual([
			"src/mid/a.ts:2 imports './gone.js', which names no file of the tree.",
		]);
	});
});
