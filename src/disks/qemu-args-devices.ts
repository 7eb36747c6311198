/**
 * What a VM's `qemuArgs` add to the guest, as pure logic: devices (the guest then coldplugs and listens for
 * more), a monitor of the user's (which can hot-add devices: the guest then gets ACPI PCI hotplug), and IDE
 * drives (the guest then loads the PIIX IDE driver). Unsure cases count as yes: a missing driver is a bug,
 * an extra one only costs time.
 */

/** QEMU options that give the user a monitor (QMP or HMP), through which `device_add` can hot-add a device. */
const MONITOR_OPTIONS = new Set(['-qmp', '-qmp-pretty', '-monitor', '-mon']);

/** QEMU options that add a device to the guest (a monitor, which could, is `addsUserMonitor`'s). */
const DEVICE_OPTIONS = new Set([
	'-device',
	'-drive',
	'-hda',
	'-hdb',
	'-hdc',
	'-hdd',
	'-cdrom',
	'-fda',
	'-fdb',
	'-nic',
	'-net',
	'-usb',
	'-usbdevice',
]);

/** `--device=x` → [`-device`, `x`]; `-device` → [`-device`, undefined] (its value is the next argument). */
function splitOption(arg: string): [string, string | undefined] {
	const option = arg.replace(/^--/, '-');
	const equals = option.indexOf('=');
	return equals === -1 ? [option, undefined] : [option.slice(0, equals), option.slice(equals + 1)];
}

/** Every option of `qemuArgs` with its value. */
function options(qemuArgs: readonly string[]): Array<[string, string]> {
	const pairs: Array<[string, string]> = [];
	for (let index = 0; index < qemuArgs.length; index++) {
		if (!qemuArgs[index]!.startsWith('-')) continue;
		const [option, inline] = splitOption(qemuArgs[index]!);
		pairs.push([option, inline ?? qemuArgs[index + 1] ?? '']);
	}
	return pairs;
}

/** Whether `qemuArgs` add a device (an option such as `-device`), or a monitor that could. */
export function addsDevices(qemuArgs: readonly string[]): boolean {
	return options(qemuArgs).some(([option]) => DEVICE_OPTIONS.has(option)) || addsUserMonitor(qemuArgs);
}

/**
 * Whether `qemuArgs` give the user a QEMU monitor (QMP or HMP), through which `device_add` can hot-add a
 * device: `-qmp`, `-monitor`, `-mon`, or a serial or parallel port multiplexed with one (`mon:stdio`).
 */
export function addsUserMonitor(qemuArgs: readonly string[]): boolean {
	return options(qemuArgs).some(
		([option, value]) => MONITOR_OPTIONS.has(option) || (['-serial', '-parallel'].includes(option) && value.startsWith('mon:')),
	);
}

/**
 * Whether `qemuArgs` may attach a drive to the pc machine's IDE controller: `-hda`…`-hdd`, `-cdrom`, a
 * `-drive` with no `if=` (IDE is QEMU's default) or `if=ide`, or an `ide-*` device.
 */
export function mayAddIdeDrives(qemuArgs: readonly string[]): boolean {
	return options(qemuArgs).some(([option, value]) => {
		if (['-hda', '-hdb', '-hdc', '-hdd', '-cdrom'].includes(option)) return true;
		if (option === '-drive') {
			const iface = /(?:^|,)if=([^,]*)/.exec(value)?.[1];
			return iface === undefined || iface === 'ide';
		}
		return option === '-device' && /^ide-/.test(value);
	});
}
