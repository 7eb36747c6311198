export { startVm } from './start-vm.js';
export { runInVm, type RunInVmOptions } from './run-in-vm.js';
export type { Vm, GdbInfo } from './vm/vm.js';
export type { ExecResult } from './vm/exec-result.js';
export type { VmOptions, ExecOptions, Accel } from './options.js';
export type { ForwardPortOptions } from './network/port-forward.js';
export type { WaitOptions, WaitForPortOptions } from './vm/wait-until.js';
export { VmUnknownUserError } from './vm/exec-as-user.js';
export { VmError, VmBootError, VmExecError, VmTimeoutError, VmCrashedError, VmClosedError, VmWaitTimeoutError } from './errors.js';
