/**
 * Every relative link in the README, docs/*.md and the examples' READMEs points at a file that exists, and
 * every `#anchor` into a markdown file at one of its headings (GitHub's slugs), so moved files and renamed
 * sections cannot leave dead links behind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The markdown files whose links are checked, relative to the repository root. */
function documentationFiles(): string[] {
	const docs = readdirSync(path.join(repoRoot, 'docs'))
		.filter((name) => name.endsWith('.md'))
		.map((name) => `docs/${name}`);
	return ['README.md', ...docs, ...exampleReadmes('examples')].sort();
}

function exampleReadmes(dir: string): string[] {
	return readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
		const relative = `${dir}/${entry.name}`;
		if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : exampleReadmes(relative);
		return entry.name === 'README.md' ? [relative] : [];
	});
}

/** The text outside fenced code blocks: links and headings in code are examples, not links. */
function withoutCodeBlocks(markdown: string): string {
	let fence: string | undefined;
	return markdown
		.split('\n')
		.map((line) => {
			const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
			if (marker && (fence === undefined || (marker[0] === fence[0] && marker.length >= fence.length))) {
				fence = fence === undefined ? marker : undefined;
				return '';
			}
			return fence === undefined ? line : '';
		})
		.join('\n');
}

/** Link targets: inline `[text](target "title")` and reference definitions `[label]: target`, not in code spans. */
function extractLinkTargets(markdown: string): string[] {
	const prose = withoutCodeBlocks(markdown).replace(/(`+)[^`]*?\1/g, '');
	const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!);
	const references = [...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((match) => match[1]!);
	return [...inline, ...references];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens (as github-slugger does). */
function slugOf(heading: string): string {
	const text = heading
		.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text
		.replace(/`/g, '')
		.replace(/\*\*?|(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu, '') // emphasis markers
		.trim()
		.toLowerCase();
	return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a markdown file has: its headings' slugs, repeated ones numbered as GitHub does. */
function anchorsOf(markdown: string): Set<string> {
	const anchors = new Set<string>();
	const seen = new Map<string, number>();
	for (const match of withoutCodeBlocks(markdown).matchAll(/^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
		const slug = slugOf(match[1]!);
		const count = seen.get(slug) ?? 0;
		seen.set(slug, count + 1);
		anchors.add(count === 0 ? slug : `${slug}-${count}`);
	}
	for (const match of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(match[1]!);
	return anchors;
}

/** What is wrong with one relative link of `file`, or undefined when it resolves. */
function checkLink(file: string, target: string): string | undefined {
	const hash = target.indexOf('#');
	const targetPath = decodeURI(hash === -1 ? target : target.slice(0, hash));
	const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
	const resolved = targetPath === '' ? path.join(repoRoot, file) : path.resolve(repoRoot, path.dirname(file), targetPath);
	if (!resolved.startsWith(repoRoot + path.sep) && resolved !== repoRoot) return `${target} leaves the repository`;
	if (!existsSync(resolved)) return `${target}: ${path.relative(repoRoot, resolved)} does not exist`;
	if (anchor === undefined || anchor === '' || !resolved.endsWith('.md')) return undefined;
	if (!anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
		return `${target}: ${path.relative(repoRoot, resolved)} has no heading with the anchor #${anchor}`;
	}
	return undefined;
}

/** A link with a scheme (https:, mailto:) or protocol-relative: not a file of this repository. */
function isExternal(target: string): boolean {
	return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

describe('slugOf', () => {
	it('makes the anchors GitHub makes', () => {
		expect(slugOf('How it works')).toBe('how-it-works');
		expect(slugOf('`vm-exec doctor`')).toBe('vm-exec-doctor');
		expect(slugOf('A private LAN between VMs: `lan`')).toBe('a-private-lan-between-vms-lan');
		expect(slugOf("The guest's life")).toBe('the-guests-life');
		expect(slugOf('Port forwarding: `vm.forwardPort(guestPort, { protocol })`')).toBe('port-forwarding-vmforwardportguestport--protocol-');
		expect(slugOf('A map of `src/`')).toBe('a-map-of-src');
		expect(slugOf('Cost per test, file and block')).toBe('cost-per-test-file-and-block');
	});
});

describe('anchorsOf', () => {
	it('numbers repeated headings and ignores headings in code blocks', () => {
		const markdown = '# Options\n\n```sh\n# not a heading\n```\n\n## Options\n### Exec options\n';
		expect([...anchorsOf(markdown)]).toEqual(['options', 'options-1', 'exec-options']);
	});
});

describe('extractLinkTargets', () => {
	it('finds inline and reference links, not those in code', () => {
		const markdown = [
			'See [the API](docs/api.md#results) and [errors][e].',
			'`[not](a-link.md)`',
			'```md',
			'[not](either.md)',
			'```',
			'[e]: docs/errors.md',
		].join('\n');
		expect(extractLinkTargets(markdown)).toEqual(['docs/api.md#results', 'docs/errors.md']);
	});
});

describe('the documentation links', () => {
	const files = documentationFiles();

	it('covers the README, the manual and the examples', () => {
		expect(files).toContain('README.md');
		expect(files).toContain('docs/api.md');
		expect(files.some((file) => file.startsWith('examples/'))).toBe(true);
	});

	it.each(files)('%s links only to files and headings that exist', (file) => {
		const broken = extractLinkTargets(readFileSync(path.join(repoRoot, file), 'utf8'))
			.filter((target) => !isExternal(target))
			.map((target) => checkLink(file, target))
			.filter((problem): problem is string => problem !== undefined);
		expect(broken).toEqual([]);
	});
});
