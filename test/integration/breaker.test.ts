import type Redis from 'ioredis';
import IORedis from 'ioredis';
import { breakerAllow, breakerRecord, breakerState } from '../../nodes/shared/breaker';
import { BreakerCode, BreakerSettingsError } from '../../nodes/shared/breakerSettings';
import { channelKeys } from '../../nodes/shared/keys';
import { OwnRedis, deleteByPrefix, testClient, uniquePrefix, waitFor } from '../support';

// The per-channel circuit breaker (shared/breaker.ts, lua/admitCall-1, recordCall-1, readBreaker-1) on the
// test Redis: the whole state machine with real, short cool-downs and probe timeouts (waits are on the
// breaker's own state, read on Redis's clock), the one-probe guarantee across many clients, and every script
// through SCRIPT FLUSH on a redis-server of this file's own.
jest.setTimeout(60_000);

const FAST = { failureThreshold: 3, coolDownMs: 200, probeTimeoutMs: 300 } as const;

let redis: Redis;
let prefix: string;

beforeAll(() => {
	redis = testClient();
});
beforeEach(() => {
	prefix = uniquePrefix('breaker');
});
afterEach(async () => {
	await deleteByPrefix(redis, prefix);
});
afterAll(async () => {
	await redis.quit();
});

async function fail(times: number, channel = 'shop', settings: object = FAST) {
	const results = [];
	for (let i = 0; i < times; i++)
		results.push(await breakerRecord(redis, prefix, channel, 'failure', undefined, settings));
	return results;
}

/** Waits until the breaker's cool-down has ended (as Redis's clock sees it). */
async function untilHalfOpen(channel = 'shop'): Promise<void> {
	await waitFor(
		async () => await breakerState(redis, prefix, channel),
		(s) => s.state === 'half-open' && !s.probeInFlight,
		5_000,
		'half-open',
	);
}

async function redisNowMs(): Promise<number> {
	const [s, us] = await redis.time();
	return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

describe('closed', () => {
	it('a channel never seen is closed, allows calls, and a success writes nothing', async () => {
		const admission = await breakerAllow(redis, prefix, 'shop', FAST);
		expect(admission).toEqual({
			allowed: true,
			state: 'closed',
			probe: false,
			retryInMs: 0,
			failures: 0,
			code: BreakerCode.Allowed,
		});
		expect(await breakerRecord(redis, prefix, 'shop', 'success', undefined, FAST)).toEqual({
			state: 'closed',
			failures: 0,
			transition: 'none',
			code: BreakerCode.Recorded,
		});
		expect(await redis.exists(channelKeys.breaker(prefix, 'shop'))).toBe(0);
		expect(await breakerState(redis, prefix, 'shop')).toMatchObject({
			state: 'closed',
			failures: 0,
			openedAt: null,
			lastFailureAt: null,
			probeInFlight: false,
		});
	});

	it('counts consecutive failures; a success resets the count, so only N in a row open it', async () => {
		const before = await redisNowMs();
		expect((await fail(2)).map((r) => [r.failures, r.transition])).toEqual([
			[1, 'none'],
			[2, 'none'],
		]);
		const health = await breakerState(redis, prefix, 'shop');
		expect(health).toMatchObject({ state: 'closed', failures: 2, openedAt: null });
		expect(health.lastFailureAt).toBeGreaterThanOrEqual(before);
		expect(health.lastFailureAt).toBeLessThanOrEqual(health.nowMs);

		expect((await breakerRecord(redis, prefix, 'shop', 'success', undefined, FAST)).failures).toBe(
			0,
		);
		expect((await fail(2)).map((r) => r.state)).toEqual(['closed', 'closed']);
		expect((await breakerAllow(redis, prefix, 'shop', FAST)).allowed).toBe(true);
		const [third] = await fail(1);
		expect(third).toEqual({
			state: 'open',
			failures: 3,
			transition: 'opened',
			code: BreakerCode.Opened,
		});
	});

	it('the default threshold is 5 consecutive failures', async () => {
		const results = await fail(5, 'shop', {});
		expect(results.map((r) => r.transition)).toEqual(['none', 'none', 'none', 'none', 'opened']);
		const refused = await breakerAllow(redis, prefix, 'shop');
		expect(refused).toMatchObject({ allowed: false, state: 'open', code: BreakerCode.Open });
		// The default cool-down is 30 s.
		expect(refused.retryInMs).toBeGreaterThan(25_000);
		expect(refused.retryInMs).toBeLessThanOrEqual(30_000);
	});

	it('channels are independent, and a channel name never reaches another key', async () => {
		await fail(3, 'shop:a b{c}');
		expect((await breakerAllow(redis, prefix, 'shop:a b{c}', FAST)).allowed).toBe(false);
		expect((await breakerAllow(redis, prefix, 'shop', FAST)).allowed).toBe(true);
		expect(await redis.exists(`${prefix}:breaker:shop%3Aa%20b%7Bc%7D`)).toBe(1);
	});
});

describe('open → half-open → closed / open', () => {
	it('open: every call refused until the cool-down ends, timed on Redis’s clock', async () => {
		const before = await redisNowMs();
		await fail(3);
		const refused = await breakerAllow(redis, prefix, 'shop', FAST);
		expect(refused).toMatchObject({ allowed: false, state: 'open', probe: false });
		expect(refused.retryInMs).toBeGreaterThan(0);
		expect(refused.retryInMs).toBeLessThanOrEqual(FAST.coolDownMs);
		const health = await breakerState(redis, prefix, 'shop');
		expect(health.state).toBe('open');
		expect(health.openedAt).toBeGreaterThanOrEqual(before);
		expect(health.halfOpenAt).toBe(health.openedAt! + FAST.coolDownMs);
		expect(health.lastFailureAt).toBe(health.openedAt);
		// Times are stored as whole milliseconds, never in exponent notation.
		const raw = await redis.hgetall(channelKeys.breaker(prefix, 'shop'));
		expect(raw).toEqual({
			state: 'open',
			failures: '3',
			openedAt: String(health.openedAt),
			halfOpenAt: String(health.halfOpenAt),
			lastFailureAt: String(health.lastFailureAt),
		});
		expect(raw.openedAt).toMatch(/^\d{13}$/);
	});

	it('after the cool-down one caller gets the probe; its success closes the breaker and resets failures', async () => {
		await fail(3);
		await untilHalfOpen();
		const probe = await breakerAllow(redis, prefix, 'shop', FAST);
		expect(probe).toMatchObject({
			allowed: true,
			state: 'half-open',
			probe: true,
			code: BreakerCode.Probe,
		});
		expect(probe.probeToken).toMatch(/^[0-9a-f]{32}$/);
		expect(await breakerState(redis, prefix, 'shop')).toMatchObject({
			state: 'half-open',
			probeInFlight: true,
		});
		const other = await breakerAllow(redis, prefix, 'shop', FAST);
		expect(other).toMatchObject({
			allowed: false,
			state: 'half-open',
			probe: false,
			code: BreakerCode.ProbeInFlight,
		});
		expect(other.retryInMs).toBeGreaterThan(0);
		expect(other.retryInMs).toBeLessThanOrEqual(FAST.probeTimeoutMs);

		expect(await breakerRecord(redis, prefix, 'shop', 'success', probe.probeToken, FAST)).toEqual({
			state: 'closed',
			failures: 0,
			transition: 'closed',
			code: BreakerCode.Closed,
		});
		expect(await breakerAllow(redis, prefix, 'shop', FAST)).toMatchObject({
			allowed: true,
			state: 'closed',
			failures: 0,
		});
		expect(await breakerState(redis, prefix, 'shop')).toMatchObject({
			state: 'closed',
			failures: 0,
			probeInFlight: false,
		});
		// Closed again means N fresh failures to open it.
		expect((await fail(2)).map((r) => r.state)).toEqual(['closed', 'closed']);
	});

	it("the probe's failure opens it again and restarts the cool-down", async () => {
		await fail(3);
		const firstOpen = (await breakerState(redis, prefix, 'shop')).openedAt!;
		await untilHalfOpen();
		const probe = await breakerAllow(redis, prefix, 'shop', FAST);
		expect(probe.probe).toBe(true);
		const reopened = await breakerRecord(redis, prefix, 'shop', 'failure', probe.probeToken, FAST);
		expect(reopened).toEqual({
			state: 'open',
			failures: 4,
			transition: 'reopened',
			code: BreakerCode.Reopened,
		});
		const health = await breakerState(redis, prefix, 'shop');
		expect(health.state).toBe('open');
		expect(health.openedAt).toBeGreaterThanOrEqual(firstOpen + FAST.coolDownMs);
		expect(health.halfOpenAt).toBe(health.openedAt! + FAST.coolDownMs);
		const refused = await breakerAllow(redis, prefix, 'shop', FAST);
		expect(refused).toMatchObject({ allowed: false, state: 'open', code: BreakerCode.Open });
		expect(refused.retryInMs).toBeGreaterThan(0);
		// The old token is spent: it cannot close the breaker.
		expect(
			(await breakerRecord(redis, prefix, 'shop', 'success', probe.probeToken, FAST)).transition,
		).toBe('notProbe');
		// Another cool-down, another probe, and this one succeeds.
		await untilHalfOpen();
		const second = await breakerAllow(redis, prefix, 'shop', FAST);
		expect(second.probe).toBe(true);
		expect(second.probeToken).not.toBe(probe.probeToken);
		expect(
			(await breakerRecord(redis, prefix, 'shop', 'success', second.probeToken, FAST)).state,
		).toBe('closed');
	});

	it('outcomes of calls let through before it opened: a failure counts, nothing changes state', async () => {
		await fail(3);
		const opened = await breakerState(redis, prefix, 'shop');
		const straggler = await breakerRecord(redis, prefix, 'shop', 'failure', undefined, FAST);
		expect(straggler).toEqual({
			state: 'open',
			failures: 4,
			transition: 'notProbe',
			code: BreakerCode.NotProbe,
		});
		expect(
			(await breakerRecord(redis, prefix, 'shop', 'success', undefined, FAST)).transition,
		).toBe('notProbe');
		const after = await breakerState(redis, prefix, 'shop');
		expect(after).toMatchObject({ state: 'open', failures: 4 });
		expect(after.openedAt).toBe(opened.openedAt); // the cool-down was not restarted
		expect(after.halfOpenAt).toBe(opened.halfOpenAt);
		// Half-open, before anyone took the probe: a success without the token still does not close it.
		await untilHalfOpen();
		expect(await breakerRecord(redis, prefix, 'shop', 'success', undefined, FAST)).toMatchObject({
			state: 'half-open',
			transition: 'notProbe',
		});
		expect((await breakerAllow(redis, prefix, 'shop', FAST)).probe).toBe(true);
	});
});

describe('the probe', () => {
	it('20 clients asking at once during half-open: exactly one probe, 19 refused', async () => {
		const clients = Array.from({ length: 20 }, () => testClient());
		try {
			await Promise.all(clients.map(async (c) => await c.ping()));
			for (let round = 0; round < 5; round++) {
				await fail(round === 0 ? 3 : 0);
				await untilHalfOpen();
				const admissions = await Promise.all(
					clients.map(async (c) => await breakerAllow(c, prefix, 'shop', FAST)),
				);
				const probes = admissions.filter((a) => a.probe);
				expect(probes).toHaveLength(1);
				expect(probes[0].allowed).toBe(true);
				const refused = admissions.filter((a) => !a.probe);
				expect(refused).toHaveLength(19);
				expect(
					refused.every(
						(a) => !a.allowed && a.code === BreakerCode.ProbeInFlight && a.state === 'half-open',
					),
				).toBe(true);
				// The probe fails: open again, the next round waits for the next cool-down.
				expect(
					(await breakerRecord(redis, prefix, 'shop', 'failure', probes[0].probeToken, FAST))
						.transition,
				).toBe('reopened');
			}
		} finally {
			await Promise.all(clients.map(async (c) => await c.quit()));
		}
	});

	it('a probe that never reports frees its slot after the probe timeout; the next caller becomes the probe', async () => {
		await fail(3);
		await untilHalfOpen();
		const beforeProbe = await redisNowMs();
		const lost = await breakerAllow(redis, prefix, 'shop', FAST);
		expect(lost.probe).toBe(true);
		expect((await breakerAllow(redis, prefix, 'shop', FAST)).code).toBe(BreakerCode.ProbeInFlight);
		const next = await waitFor(
			async () => await breakerAllow(redis, prefix, 'shop', FAST),
			(a) => a.allowed,
			5_000,
			'the probe slot to free',
		);
		expect(next).toMatchObject({ allowed: true, probe: true, state: 'half-open' });
		expect(await redisNowMs()).toBeGreaterThanOrEqual(beforeProbe + FAST.probeTimeoutMs);
		// The lost probe reports at last: its slot is gone, so it changes nothing.
		expect(
			(await breakerRecord(redis, prefix, 'shop', 'success', lost.probeToken, FAST)).transition,
		).toBe('notProbe');
		expect(await breakerState(redis, prefix, 'shop')).toMatchObject({
			state: 'half-open',
			probeInFlight: true,
		});
		expect(
			(await breakerRecord(redis, prefix, 'shop', 'success', next.probeToken, FAST)).transition,
		).toBe('closed');
	});

	it('a late probe whose expired slot nobody took is still heard', async () => {
		await fail(3);
		await untilHalfOpen();
		const probe = await breakerAllow(redis, prefix, 'shop', FAST);
		await waitFor(
			async () => await breakerState(redis, prefix, 'shop'),
			(s) => !s.probeInFlight,
			5_000,
			'the probe slot to expire',
		);
		expect(
			(await breakerRecord(redis, prefix, 'shop', 'failure', probe.probeToken, FAST)).transition,
		).toBe('reopened');
	});
});

describe('settings', () => {
	it('are checked before any Redis call', async () => {
		// A client that cannot send anything: a command would fail with a connection error, not a settings one.
		const offline = new IORedis({
			port: 1,
			lazyConnect: true,
			enableOfflineQueue: false,
			maxRetriesPerRequest: 0,
		});
		offline.on('error', () => undefined);
		try {
			await expect(
				breakerAllow(offline, prefix, 'shop', { probeTimeoutMs: 0 }),
			).rejects.toBeInstanceOf(BreakerSettingsError);
			await expect(
				breakerRecord(offline, prefix, 'shop', 'failure', undefined, { failureThreshold: 1.5 }),
			).rejects.toBeInstanceOf(BreakerSettingsError);
			await expect(
				breakerRecord(offline, prefix, 'shop', 'failure', undefined, { coolDownMs: -1 }),
			).rejects.toBeInstanceOf(BreakerSettingsError);
			await expect(
				breakerRecord(offline, prefix, 'shop', 'maybe' as 'success', undefined, {}),
			).rejects.toBeInstanceOf(RangeError);
			// The same client does reach for Redis once the settings are right.
			await expect(breakerAllow(offline, prefix, 'shop', FAST)).rejects.not.toBeInstanceOf(
				BreakerSettingsError,
			);
		} finally {
			offline.disconnect();
		}
	});

	it('an open breaker half-opens after the cool-down it opened with, whatever the asker is configured with', async () => {
		await fail(3, 'shop', { ...FAST, coolDownMs: 60_000 });
		const refused = await breakerAllow(redis, prefix, 'shop', { ...FAST, coolDownMs: 1 });
		expect(refused.allowed).toBe(false);
		expect(refused.retryInMs).toBeGreaterThan(55_000);
	});
});

describe('SCRIPT FLUSH', () => {
	let server: OwnRedis;
	let own: IORedis;
	let admin: IORedis;

	beforeAll(async () => {
		server = await OwnRedis.start();
		own = new IORedis({ port: server.port });
		admin = new IORedis({ port: server.port });
	});
	afterAll(async () => {
		await own.quit();
		await admin.quit();
		await server.stop();
	});

	it('admitCall, recordCall and readBreaker each run again after the script cache is flushed', async () => {
		const step = async <T>(run: () => Promise<T>): Promise<T> => {
			await admin.script('FLUSH');
			return await run();
		};
		const p = uniquePrefix('breaker-flush');
		expect((await step(async () => await breakerAllow(own, p, 'c', FAST))).allowed).toBe(true);
		for (let i = 0; i < 3; i++)
			await step(async () => await breakerRecord(own, p, 'c', 'failure', undefined, FAST));
		expect((await step(async () => await breakerState(own, p, 'c'))).state).toBe('open');
		await waitFor(
			async () => await step(async () => await breakerState(own, p, 'c')),
			(s) => s.state === 'half-open',
			5_000,
			'half-open',
		);
		const probe = await step(async () => await breakerAllow(own, p, 'c', FAST));
		expect(probe.probe).toBe(true);
		expect(
			(await step(async () => await breakerRecord(own, p, 'c', 'success', probe.probeToken, FAST)))
				.transition,
		).toBe('closed');
	});
});
