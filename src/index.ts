export { startVm } from './start-vm.js';
export { runInVm, type RunInVmOptions } from './run-in-vm.js';
export type { Vm, VmFacts, GdbInfo, ExpectKernelReportOptions } from './vm/vm.js';
export type { KernelLog, TaintChange } from './kernel-log/kernel-verdict.js';
export type { ExecRecord, ExecReport, KernelLogLosses } from './kernel-log/kernel-log-stream.js';
export type { KernelFrame, KernelReport, KernelReportKind } from './kernel-log/kernel-reports.js';
export type { KernelLogRecord } from './kernel-log/kmsg-record.js';
export type { TaintFlag } from './kernel-log/taint.js';
export type { ExecResult } from './vm/exec-result.js';
export type { VmOptions, ExecOptions, Accel, KernelReportPolicy } from './options.js';
export type { ForwardPortOptions } from './network/port-forward.js';
export type { DiskOptions, DiskFormat } from './disks/options.js';
export type { VmDisk } from './disks/prepare.js';
export {
	VmError,
	VmBootError,
	VmExecError,
	VmKernelError,
	VmTimeoutError,
	VmCrashedError,
	VmClosedError,
	VmDiskError,
	VmUnresponsiveError,
	VmWaitTimeoutError,
} from './errors.js';
export type { VcpuLocation } from './errors.js';
export type { WaitOptions, WaitForPortOptions } from './vm/wait-until.js';
export { VmUnknownUserError } from './vm/exec-as-user.js';
export { execTap, type ExecTapOptions, type ExecTapResult, type TapExecutor } from './vm/exec-tap.js';
export {
	parseTap,
	TapParser,
	summarizeTap,
	describeTapSummary,
	parseKselftestRun,
	KselftestRunParser,
	judgeKselftest,
} from './tap/index.js';
export type {
	TapCase,
	TapDirective,
	TapDocument,
	TapEvent,
	TapPlan,
	TapStatus,
	TapFailure,
	TapSummary,
	KselftestRunResult,
} from './tap/index.js';
