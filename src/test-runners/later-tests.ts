/**
 * Whether a test file has more tests to run after the current one, from Vitest's task tree (pure). The
 * warm pool starts no VM ahead during a file's last test: its VMs are closed when the file ends, so that
 * boot would only compete with the last test for the CPU.
 */

/** The part of a Vitest task this reads. */
export interface TaskNode {
	type?: string;
	mode?: string;
	tasks?: readonly TaskNode[];
	file?: TaskNode;
}

/** Whether a test after `test` in its file will run (true when the tree does not tell). */
export function hasLaterTest(test: TaskNode): boolean {
	const file = test.file;
	if (!file) return true;
	const tests: TaskNode[] = [];
	const collect = (node: TaskNode) => {
		for (const child of node.tasks ?? []) {
			if (child.type === 'test') tests.push(child);
			else collect(child);
		}
	};
	collect(file);
	const index = tests.indexOf(test);
	if (index === -1) return true;
	return tests.slice(index + 1).some((later) => later.mode === 'run' || later.mode === 'only' || later.mode === 'queued');
}
