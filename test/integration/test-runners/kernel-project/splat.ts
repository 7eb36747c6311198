// Where the outer test built the splat module: shared into the VMs at /tmp/shared.
export const splatDir = process.env.VM_EXEC_SPLAT_DIR ?? '';
if (!splatDir) throw new Error('VM_EXEC_SPLAT_DIR is not set: run this project through kernel-reports.test.ts');
export const LOAD = 'mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug; insmod /tmp/shared/vm_exec_splat.ko';
export const WARN = 'echo 1 >/sys/kernel/debug/vmx_splat/warn';
