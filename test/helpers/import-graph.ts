/**
 * The import graph of a source tree, and the two rules `src/` keeps (test/unit/architecture/layers.test.ts):
 * no import runs from a lower layer up to a higher one, and no files import values from each other in a
 * circle. Pure: it works on file texts in a map (path → source, paths relative to the tree's root, with `/`),
 * so that its own tests can give it a tiny tree. Imports are read with the TypeScript parser, not patterns,
 * so that a string or a comment that looks like an import is not one, and `type` markers are seen exactly.
 */
import path from 'node:path';
import ts from 'typescript';

/** One import written in a file. */
export interface ImportRef {
	specifier: string;
	/** 1-based line of the import. */
	line: number;
	/**
	 * Nothing but types cross it: `import type`, `export type … from`, `import { type A, type B }` (every name a
	 * type), `typeof import('…')`. Such an import cannot take part in a circle of values.
	 */
	typeOnly: boolean;
}

/** One import between two files of the tree. */
export interface ImportEdge extends ImportRef {
	from: string;
	to: string;
}

/**
 * The layers, bottom first: each one a list of a top folder (`'vm/'`) or a file at the root (`'index.ts'`).
 * A file belongs to the layer of its top folder, or of its own name at the root.
 */
export type LayerTable = readonly (readonly string[])[];

/** What the check found, each a message that names the files and says how to mend it. */
export interface ImportGraphReport {
	/** Files in no layer of the table. */
	unplaced: string[];
	/** Relative imports that name no file of the tree. */
	unresolved: string[];
	/** Imports from a lower layer to a higher one. */
	upward: string[];
	/** Circles of value imports, each once. */
	circles: string[];
}

/** The imports `source` writes: static, re-exports, dynamic with a literal, and type queries. */
export function extractImports(fileName: string, source: string): ImportRef[] {
	const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
	const found: ImportRef[] = [];
	const add = (node: ts.Node, specifier: ts.Expression | undefined, typeOnly: boolean) => {
		if (!specifier || !ts.isStringLiteralLike(specifier)) return;
		found.push({ specifier: specifier.text, line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, typeOnly });
	};
	const visit = (node: ts.Node): void => {
		if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, isTypeOnlyImport(node));
		else if (ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, isTypeOnlyExport(node));
		else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], false);
		else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal, true);
		ts.forEachChild(node, visit);
	};
	visit(file);
	return found;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
	const clause = node.importClause;
	// `import './x.js'` runs the module: a value import.
	if (!clause) return false;
	if (clause.isTypeOnly) return true;
	if (clause.name) return false;
	const bindings = clause.namedBindings;
	return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
	if (node.isTypeOnly) return true;
	const clause = node.exportClause;
	return !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

/**
 * The file of the tree a relative `specifier` in `from` names, as NodeNext resolves TypeScript sources:
 * `./x.js` is `x.ts`, a folder is its `index.ts`. Undefined for a package or `node:` import (not the tree's),
 * and `null` for a relative one that names no file of the tree.
 */
export function resolveImport(from: string, specifier: string, files: ReadonlySet<string>): string | null | undefined {
	if (!/^\.\.?(\/|$)/.test(specifier)) return undefined;
	const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier)).replace(/\/$/, '');
	const stem = target.replace(/\.(js|ts)$/, '');
	const candidates = [`${stem}.ts`, target, target === '.' ? 'index.ts' : `${target}/index.ts`];
	return candidates.find((candidate) => files.has(candidate)) ?? null;
}

/** Every import between files of the tree, and the relative imports that name no file of it (as messages). */
export function buildImportGraph(files: ReadonlyMap<string, string>): { edges: ImportEdge[]; unresolved: string[] } {
	const names = new Set(files.keys());
	const edges: ImportEdge[] = [];
	const unresolved: string[] = [];
	for (const [from, source] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
		for (const ref of extractImports(from, source)) {
			const to = resolveImport(from, ref.specifier, names);
			if (to === null) unresolved.push(`${from}:${ref.line} imports '${ref.specifier}', which names no file of the tree.`);
			else if (to !== undefined) edges.push({ ...ref, from, to });
		}
	}
	return { edges, unresolved };
}

/** The layer key of a file: its top folder (`'vm/'`) or, at the root, its name. */
export function layerKeyOf(file: string): string {
	const slash = file.indexOf('/');
	return slash === -1 ? file : file.slice(0, slash + 1);
}

/** The 1-based layer of a file, undefined when the table does not place it. */
export function layerOf(file: string, table: LayerTable): number | undefined {
	const index = table.findIndex((layer) => layer.includes(layerKeyOf(file)));
	return index === -1 ? undefined : index + 1;
}

/** Each import that runs from a lower layer up to a higher one, as a message. */
export function findUpwardImports(edges: readonly ImportEdge[], table: LayerTable, root = ''): string[] {
	return edges.flatMap((edge) => {
		const [from, to] = [layerOf(edge.from, table), layerOf(edge.to, table)];
		if (from === undefined || to === undefined || to <= from) return [];
		const mend = edge.typeOnly
			? `declare the type in the file that owns it, in layer ${from} or below, and import it from there`
			: `move what it uses down to layer ${from} or below, or have a caller in layer ${to} or above pass it in`;
		return [
			`${root}${edge.from}:${edge.line} imports ${edge.typeOnly ? 'types from ' : ''}${root}${edge.to}, a higher layer: ` +
				`${layerKeyOf(edge.from)} is in layer ${from} (${table[from - 1]!.join(' ')}), ${layerKeyOf(edge.to)} in layer ${to} ` +
				`(${table[to - 1]!.join(' ')}), and a file imports only from its own layer and lower ones. To mend it, ${mend}.`,
		];
	});
}

/** The files the table does not place, one message per folder or root file. */
export function findUnplacedFiles(files: Iterable<string>, table: LayerTable, tableFile: string, root = ''): string[] {
	const unplaced = new Map<string, string[]>();
	for (const file of files) {
		if (layerOf(file, table) !== undefined) continue;
		const key = layerKeyOf(file);
		unplaced.set(key, [...(unplaced.get(key) ?? []), file]);
	}
	return [...unplaced]
		.sort(([a], [b]) => a.localeCompare(b))
		.map(
			([key, members]) =>
				`${root}${key} is in no layer (${members.map((file) => root + file).join(', ')}): add it to the layer table in ${tableFile} ` +
				`and to the layers in docs/how-it-works.md, in the lowest layer whose files it needs to import.`,
		);
}

/**
 * Each circle of value imports, once: the shortest circle through each file that is on one, so that a long circle
 * does not hide a short one. Type-only imports bind nothing at run time (they are erased, or kept as an empty
 * `import {}`), so they cannot leave a value uninitialised when the files load: they close no circle.
 */
export function findValueCircles(edges: readonly ImportEdge[], root = ''): string[] {
	const next = new Map<string, ImportEdge[]>();
	for (const edge of edges) {
		if (edge.typeOnly) continue;
		const out = next.get(edge.from) ?? [];
		if (!out.some((known) => known.to === edge.to)) out.push(edge);
		next.set(edge.from, out);
	}
	const seen = new Set<string>();
	const circles: string[] = [];
	for (const start of [...next.keys()].sort()) {
		const circle = shortestCircle(start, next);
		if (!circle) continue;
		const key = rotateToSmallest(circle.map((edge) => edge.from)).join(' ');
		if (seen.has(key)) continue;
		seen.add(key);
		const files = [...circle.map((edge) => root + edge.from), root + start].join(' → ');
		const lines = circle.map((edge) => `${root}${edge.from}:${edge.line} imports ${root}${edge.to}`).join(', ');
		circles.push(
			`Import circle of values: ${files} (${lines}). To mend it, move what they share into a file that none of them ` +
				`imports back (lower down), or make an import type-only (\`import type\`) where only types cross.`,
		);
	}
	return circles;
}

/** The shortest path of value imports from `start` back to itself (breadth first), if there is one. */
function shortestCircle(start: string, next: ReadonlyMap<string, ImportEdge[]>): ImportEdge[] | undefined {
	const via = new Map<string, ImportEdge>();
	const queue = [start];
	for (let index = 0; index < queue.length; index++) {
		const file = queue[index]!;
		for (const edge of next.get(file) ?? []) {
			if (edge.to === start) {
				const circle = [edge];
				for (let back = via.get(file); back; back = via.get(back.from)) circle.unshift(back);
				return circle;
			}
			if (via.has(edge.to)) continue;
			via.set(edge.to, edge);
			queue.push(edge.to);
		}
	}
	return undefined;
}

function rotateToSmallest(cycle: string[]): string[] {
	const smallest = cycle.indexOf([...cycle].sort()[0]!);
	return [...cycle.slice(smallest), ...cycle.slice(0, smallest)];
}

/** Both rules over a tree; `root` prefixes paths in messages (`'src/'`), `tableFile` is where the table lives. */
export function checkImportGraph(
	files: ReadonlyMap<string, string>,
	table: LayerTable,
	{ root = '', tableFile = 'the layer table' }: { root?: string; tableFile?: string } = {},
): ImportGraphReport {
	const { edges, unresolved } = buildImportGraph(files);
	return {
		unplaced: findUnplacedFiles(files.keys(), table, tableFile, root),
		unresolved: unresolved.map((message) => root + message),
		upward: findUpwardImports(edges, table, root),
		circles: findValueCircles(edges, root),
	};
}
