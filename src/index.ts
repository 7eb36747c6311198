export { startVm } from './start-vm.js';
export { runInVm, type RunInVmOptions } from './run-in-vm.js';
export { Vm } from './vm.js';
export type { ExecResult } from './exec-result.js';
export type { VmOptions, ExecOptions, Accel } from './options.js';
export type { ForwardPortOptions } from './port-forward.js';
export { VmError, VmBootError, VmExecError, VmTimeoutError, VmCrashedError, VmClosedError } from './errors.js';
