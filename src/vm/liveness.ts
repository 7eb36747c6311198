/**
 * The host's liveness check of the guest: while at least one call waits on the guest, a `ping N` goes
 * over the control line every `intervalMs` unless one is still unanswered; when the guest has sent
 * nothing at all (no `pong`, no `done`) for `unresponsiveMs`, `onSilent` is called once. Nothing is
 * sent while nothing waits (an idle VM costs no wake-up), and an exec that ends within `intervalMs`
 * sends none (so `exec('true')` costs nothing extra).
 */

/** How often the guest is pinged while something waits on it. */
export const PING_INTERVAL_MS = 1000;
/**
 * How long the guest may stay silent while something waits on it before it is declared unresponsive. The
 * agent answers a ping with a shell builtin, ahead of what execs start (see the cgroup limits in the guest
 * init), so this is far above any delay of a live guest, even an emulated one on a busy host; and above the
 * guest kernel's soft lockup threshold (`watchdog_thresh=2`: 4 s, which a loaded emulated host stretches to ~8 s), so that the report is on the console by then.
 */
export const UNRESPONSIVE_AFTER_MS = 12_000;

export interface LivenessOptions {
	/** Send `ping <id>` to the guest. */
	ping(id: string): void;
	/** The guest has been silent for `silentMs` while something waited: called once. */
	onSilent(silentMs: number): void;
	intervalMs?: number;
	unresponsiveMs?: number;
	/**
	 * Asked once the silence has lasted `unresponsiveMs`: resolves true when the guest is silent on purpose
	 * (a debugger stopped it), and the silence then does not count. Without it, silence always counts.
	 */
	isHeld?: () => Promise<boolean>;
	/** `false` turns the check off: `hold()` does nothing (for measuring its cost only). */
	enabled?: boolean;
	/** The clock (tests replace it). */
	now?: () => number;
}

export class LivenessMonitor {
	readonly #options: Required<Omit<LivenessOptions, 'isHeld'>> & Pick<LivenessOptions, 'isHeld'>;
	#holders = 0;
	#timer: NodeJS.Timeout | undefined;
	/** When the guest last said anything (or when the current wait began, if later). */
	#lastHeard = 0;
	#lastTick = 0;
	#unanswered = false;
	#nextPing = 0;
	#fired = false;
	/** An `isHeld` question is pending: ticks wait for its answer. */
	#asking = false;

	constructor(options: LivenessOptions) {
		this.#options = {
			intervalMs: PING_INTERVAL_MS,
			unresponsiveMs: UNRESPONSIVE_AFTER_MS,
			enabled: true,
			now: () => performance.now(),
			...options,
		};
	}

	/** Something now waits on the guest; call the returned function when it no longer does. */
	hold(): () => void {
		if (!this.#options.enabled) return () => {};
		this.#holders++;
		if (this.#holders === 1) {
			// Silence before anything waited does not count: an idle guest says nothing, rightly.
			this.#lastHeard = this.#options.now();
			this.#lastTick = this.#lastHeard;
			this.#unanswered = false;
			this.#timer = setInterval(() => this.#tick(), this.#options.intervalMs);
			this.#timer.unref?.();
		}
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.#holders--;
			if (this.#holders === 0) this.#stop();
		};
	}

	/** The guest said something (any message): it is alive. */
	heard(): void {
		this.#lastHeard = this.#options.now();
		this.#unanswered = false;
	}

	/** Stop for good (the VM is closing or declared unresponsive). */
	dispose(): void {
		this.#fired = true;
		this.#stop();
	}

	#tick(): void {
		if (this.#fired || this.#asking) return;
		const now = this.#options.now();
		// A tick this late means the host's own event loop stalled (a long synchronous task in the test): the
		// guest's answer may be queued behind this timer, so the silence so far proves nothing.
		if (now - this.#lastTick > 3 * this.#options.intervalMs) this.#lastHeard = now;
		this.#lastTick = now;
		const silentMs = now - this.#lastHeard;
		if (silentMs >= this.#options.unresponsiveMs) {
			const { isHeld } = this.#options;
			if (!isHeld) return this.#fire(silentMs);
			this.#asking = true;
			void isHeld()
				.catch(() => false)
				.then((held) => {
					this.#asking = false;
					if (this.#fired || this.#holders === 0) return;
					// Held by a debugger (at a breakpoint, or while gdb is attached): a new silence starts now.
					if (held) this.heard();
					else this.#fire(silentMs);
				});
			return;
		}
		// One ping in flight at a time: a guest that is merely slow is not flooded.
		if (this.#unanswered) return;
		this.#unanswered = true;
		this.#options.ping(`p${(this.#nextPing++).toString(36)}`);
	}

	#fire(silentMs: number): void {
		this.#fired = true;
		this.#stop();
		this.#options.onSilent(silentMs);
	}

	#stop(): void {
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = undefined;
	}
}
