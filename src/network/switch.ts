/**
 * A learning Ethernet switch: frames to a known MAC address go to the port it was last seen on; broadcast,
 * multicast and unknown destinations are flooded to every other port. Pure: ports are just `send()`.
 */

export interface SwitchPort {
	send(frame: Buffer): void;
}

/** Ethernet header: destination MAC (6 bytes), source MAC (6), EtherType (2). */
const HEADER_BYTES = 14;

function macKey(frame: Buffer, offset: number): string {
	return frame.toString('hex', offset, offset + 6);
}

export class LearningSwitch {
	readonly #ports = new Set<SwitchPort>();
	readonly #macs = new Map<string, SwitchPort>();

	attach(port: SwitchPort): void {
		this.#ports.add(port);
	}

	/** Remove a port and forget the addresses learned on it. */
	detach(port: SwitchPort): void {
		this.#ports.delete(port);
		for (const [mac, owner] of this.#macs) if (owner === port) this.#macs.delete(mac);
	}

	get size(): number {
		return this.#ports.size;
	}

	/** A frame arrived on `from`: learn its source, deliver it. */
	receive(from: SwitchPort, frame: Buffer): void {
		if (frame.length < HEADER_BYTES || !this.#ports.has(from)) return;
		// A multicast bit in the source address is invalid: never learn such an address.
		if ((frame[6]! & 1) === 0) this.#macs.set(macKey(frame, 6), from);
		const target = (frame[0]! & 1) === 0 ? this.#macs.get(macKey(frame, 0)) : undefined;
		if (target) {
			if (target !== from) target.send(frame);
			return;
		}
		for (const port of this.#ports) if (port !== from) port.send(frame);
	}
}
