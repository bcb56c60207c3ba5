/**
 * The pure half of the per-channel circuit breaker (shared/breaker.ts runs it in Redis): its settings, the
 * codes its scripts return (lua/admitCall-1.lua, recordCall-1.lua, readBreaker-1.lua) and its state names.
 * Settings follow node-redlock: a readonly interface, frozen defaults, `Partial<BreakerSettings>` in, every
 * field checked on its own. No Redis here.
 */

export type BreakerStateName = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
	/** Consecutive failures that open a closed breaker (count, 1 … 1,000,000). */
	readonly failureThreshold: number;
	/** How long an opened breaker refuses every call before it lets one probe through (ms, 1 … 1 day). */
	readonly coolDownMs: number;
	/**
	 * How long the probe's slot stays taken (ms, 1 … 1 day). A probe that never reports back (its worker died)
	 * frees the slot after this, and the next caller becomes the probe. Longer than a channel call can take
	 * (its request timeout plus pacing), or a slow probe's slot is handed out a second time.
	 */
	readonly probeTimeoutMs: number;
}

export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = Object.freeze({
	failureThreshold: 5,
	coolDownMs: 30_000,
	probeTimeoutMs: 60_000,
});

/** A setting that is not what the breaker needs (pure module: its own Error subclass). */
export class BreakerSettingsError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'BreakerSettingsError';
	}
}

const LIMITS: Readonly<Record<keyof BreakerSettings, readonly [number, number]>> = Object.freeze({
	failureThreshold: [1, 1_000_000],
	coolDownMs: [1, 86_400_000],
	probeTimeoutMs: [1, 86_400_000],
});

/**
 * The defaults with the given fields replaced, each checked (an integer within its limits); frozen. An unknown
 * field is refused too: a misspelt `cooldownMs` would otherwise leave the default in force unnoticed.
 */
export function breakerSettings(settings: Partial<BreakerSettings> = {}): BreakerSettings {
	if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
		throw new BreakerSettingsError('settings', 'Breaker settings must be an object');
	}
	const out: Record<string, number> = { ...DEFAULT_BREAKER_SETTINGS };
	for (const [field, value] of Object.entries(settings)) {
		if (!Object.prototype.hasOwnProperty.call(LIMITS, field)) {
			throw new BreakerSettingsError(
				field,
				`Unknown breaker setting '${field.slice(0, 40)}' (known: ${Object.keys(LIMITS).join(', ')})`,
			);
		}
		if (value === undefined) continue;
		const [min, max] = LIMITS[field as keyof BreakerSettings];
		if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
			throw new BreakerSettingsError(
				field,
				`Breaker setting ${field} must be an integer from ${min} to ${max} (got ${String(value).slice(0, 40)})`,
			);
		}
		out[field] = value;
	}
	return Object.freeze(out as unknown as BreakerSettings);
}

/**
 * The codes the breaker's scripts return (their headers), mirrored here. Positive: allowed / recorded;
 * negative: refused, or an outcome that changed no state — results the caller routes on, not crashes.
 */
export enum BreakerCode {
	/** admitCall: closed, the call may go out. */
	Allowed = 1,
	/** admitCall: half-open, this call is the one probe (report with its token). */
	Probe = 2,
	/** recordCall: recorded in closed (failures reset or counted), no transition. */
	Recorded = 3,
	/** recordCall: the threshold was reached, closed → open. */
	Opened = 4,
	/** recordCall: the probe succeeded, half-open → closed. */
	Closed = 5,
	/** recordCall: the probe failed, half-open → open, the cool-down restarted. */
	Reopened = 6,
	/** readBreaker: the breaker's fields were read. */
	Read = 7,
	/** admitCall: refused, open and cooling down. */
	Open = -1,
	/** admitCall: refused, half-open and another caller's probe is out. */
	ProbeInFlight = -2,
	/** recordCall: not the current probe while open or half-open; a failure counted, no transition. */
	NotProbe = -3,
}

/** Text names of recordCall's codes, for items and logs. */
export type BreakerTransition = 'none' | 'opened' | 'closed' | 'reopened' | 'notProbe';

export const BREAKER_TRANSITION: Readonly<Partial<Record<BreakerCode, BreakerTransition>>> =
	Object.freeze({
		[BreakerCode.Recorded]: 'none',
		[BreakerCode.Opened]: 'opened',
		[BreakerCode.Closed]: 'closed',
		[BreakerCode.Reopened]: 'reopened',
		[BreakerCode.NotProbe]: 'notProbe',
	});

export function isBreakerStateName(value: unknown): value is BreakerStateName {
	return value === 'closed' || value === 'open' || value === 'half-open';
}

/**
 * The state the stored fields mean at `nowMs` (Redis time): no hash is closed; an open breaker whose cool-down
 * has ended is half-open (the next caller gets the probe).
 */
export function effectiveBreakerState(
	stored: string,
	halfOpenAt: number | null,
	nowMs: number,
): BreakerStateName {
	if (stored === '' || stored === 'closed') return 'closed';
	if (stored === 'open') return halfOpenAt !== null && nowMs >= halfOpenAt ? 'half-open' : 'open';
	return 'half-open';
}
