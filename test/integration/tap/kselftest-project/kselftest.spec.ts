import { fileURLToPath } from 'node:url';
import { describeKselftests } from '../../../../src/test-runners/kselftest.js';

const fixture = fileURLToPath(new URL('../../../fixtures/kselftest-install/', import.meta.url));
const built = process.env.VM_EXEC_KSELFTESTS;
if (!built) throw new Error('VM_EXEC_KSELFTESTS must name a kselftest install directory');

// One VM per collection; kcmp once more through run_kselftest.sh itself.
describeKselftests(built, { collections: ['timens', 'kcmp'], name: 'linux-source-6.1' });
describeKselftests(built, { collections: ['kcmp'], via: 'run_kselftest', name: 'via run_kselftest.sh' });
// A fresh VM per selftest; the hanging one is cut at its settings timeout (4 s).
describeKselftests(fixture, { vmPer: 'selftest', name: 'fixture' });
