import type { INodeProperties } from 'n8n-workflow';
import { description as healthParameters } from '../../../nodes/InventoryLedger/actions/health.operation';
import {
	DEFAULT_HEALTH_THRESHOLDS,
	healthProblems,
	type ChannelHealth,
	type HealthReport,
} from '../../../nodes/InventoryLedger/health';

type Figures = Omit<HealthReport, 'ok' | 'problems'>;

const quietChannel = (over: Partial<ChannelHealth> = {}): ChannelHealth => ({
	lagMs: { p50: 100, p95: 200, p99: 300, samples: 10, window: 900_000 },
	dirtyBacklog: 0,
	breaker: { state: 'closed', failures: 0, openedAt: null },
	deadLetters: 0,
	cursor: null,
	...over,
});

const healthy = (): Figures => ({
	checkedAt: '2026-11-28T10:00:00.000Z',
	profileVersion: 3,
	channels: { shopify: quietChannel(), woo: quietChannel() },
	outboxes: { shopify: 0 },
	deadLetters: {
		inbox: 0,
		channel: 0,
		total: 0,
		byChannel: {},
		unreadable: 0,
		complete: true,
	},
	inbox: {
		stream: 'invsync:inbox',
		group: 'inbox-trigger',
		length: 0,
		pending: 0,
		lag: 0,
		backlog: 0,
		consumers: 1,
		groupExists: true,
		oldestPendingAgeMs: null,
	},
	redis: { maxmemoryPolicyOk: true, persistence: true, warnings: [] },
});

const T = DEFAULT_HEALTH_THRESHOLDS;

describe('healthProblems', () => {
	it('finds nothing in a healthy sync', () => {
		expect(healthProblems(healthy(), T)).toEqual([]);
	});

	it('names an evicting Redis first', () => {
		const f = healthy();
		f.redis = { maxmemoryPolicyOk: false, persistence: true, warnings: ['allkeys-lru'] };
		f.channels.woo.dirtyBacklog = T.dirtyBacklog + 1;
		const problems = healthProblems(f, T);
		expect(problems[0]).toMatch(/noeviction/);
		expect(problems).toHaveLength(2);
	});

	it('names a breaker that is not closed, with its failures and since when', () => {
		const f = healthy();
		f.channels.shopify.breaker = {
			state: 'open',
			failures: 5,
			openedAt: '2026-11-28T09:59:00.000Z',
		};
		expect(healthProblems(f, T)).toEqual([
			expect.stringMatching(
				/^Channel 'shopify': circuit breaker open since 2026-11-28T09:59:00.000Z after 5 consecutive failures/,
			),
		]);
	});

	it('counts dead letters per channel and of the inbox, and names channels not in the profile', () => {
		const f = healthy();
		f.deadLetters = {
			inbox: 1,
			channel: 3,
			total: 4,
			byChannel: { woo: 1, shopify: 1, gone: 1 },
			unreadable: 0,
			complete: true,
		};
		const problems = healthProblems(f, T);
		expect(problems).toEqual([
			expect.stringMatching(/^3 channel dead letters \(gone: 1, shopify: 1, woo: 1\)/),
			expect.stringMatching(/^1 inbox dead letter:/),
			expect.stringMatching(/not in the profile: gone/),
		]);
	});

	it('compares backlogs and lag with their thresholds (above, not at)', () => {
		const f = healthy();
		f.channels.shopify.dirtyBacklog = 50;
		f.outboxes.shopify = 11;
		f.inbox.backlog = 30;
		f.channels.woo.lagMs = { p50: 1, p95: 2, p99: 5_001, samples: 3, window: 900_000 };
		const thresholds = { dirtyBacklog: 50, outboxBacklog: 10, inboxBacklog: 29, lagP99Ms: 5_000 };
		expect(healthProblems(f, thresholds)).toEqual([
			expect.stringMatching(/^Channel 'woo': lag p99 5001 ms over the last 15 min/),
			expect.stringMatching(/^Outbox of 'shopify': 11 adjustments waiting/),
			expect.stringMatching(/^Inbox invsync:inbox: 30 entries waiting/),
		]);
		expect(healthProblems(f, { ...thresholds, lagP99Ms: 0 })).toHaveLength(2);
	});

	it('says when no profile is saved, and when the inbox has entries but no consumer group', () => {
		const f = healthy();
		f.profileVersion = null;
		f.channels = {};
		f.inbox = { ...f.inbox, length: 4, groupExists: false, backlog: 4, consumers: 0 };
		expect(healthProblems(f, T)).toEqual([
			expect.stringMatching(/No sync profile/),
			expect.stringMatching(/consumer group 'inbox-trigger' does not exist/),
		]);
	});

	it('says when the dead-letter count is partial', () => {
		const f = healthy();
		f.deadLetters.complete = false;
		expect(healthProblems(f, T)).toEqual([expect.stringMatching(/counts are partial/)]);
	});
});

it("the Thresholds parameter's defaults are DEFAULT_HEALTH_THRESHOLDS", () => {
	const thresholds = healthParameters.find((p) => p.name === 'healthThresholds');
	const defaults = Object.fromEntries(
		((thresholds?.options ?? []) as INodeProperties[]).map((o) => [o.name, o.default]),
	);
	expect(defaults).toEqual({ ...DEFAULT_HEALTH_THRESHOLDS });
});
