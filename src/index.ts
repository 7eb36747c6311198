export { startVm } from './start-vm.js';
export { runInVm, type RunInVmOptions } from './run-in-vm.js';
export type { Vm, GdbInfo } from './vm/vm.js';
export type { ExecResult } from './vm/exec-result.js';
export type { VmOptions, ExecOptions, Accel } from './options.js';
export type { ForwardPortOptions } from './network/port-forward.js';
export type { DiskOptions, DiskFormat } from './disks/options.js';
export type { VmDisk } from './disks/prepare.js';
export {
	VmError,
	VmBootError,
	VmExecError,
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
