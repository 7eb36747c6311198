/**
 * The TAP/KTAP layer's public surface (pure, no I/O): the parser, the summary, kselftest's runner
 * output and verdict, and the texts for reports.
 */
export { createDocument, parseTap, statusOf, TapParser } from './parser.js';
export { summarizeTap, type TapFailure, type TapSummary } from './summary.js';
export { describeCounts, describeProgress, describeTapSummary, type DescribeLimits } from './describe.js';
export { KselftestRunParser, parseKselftestRun, type KselftestRunResult, type KselftestStatus } from './kselftest-output.js';
export { judgeKselftest, KSFT_SKIP, type KselftestOutcome, type KselftestVerdict } from './kselftest-verdict.js';
export type { TapCase, TapDirective, TapDocument, TapEvent, TapPlan, TapStatus } from './types.js';
