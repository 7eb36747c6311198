/**
 * The kernel's selftests as Vitest tests: a `describe` per collection, a test per selftest, one VM per
 * collection. A selftest that exits 4 (kselftest's skip) is a skipped test; a failing one names its
 * failing cases and shows its own output. Progress lines show each case as it finishes.
 */
import { inject } from 'vitest';
import { describeKselftests } from 'vm-exec/kselftest';

describeKselftests(inject('kselftestDir'), {
	collections: inject('kselftestCollections'),
	vmOptions: { memory: '512M' },
});
