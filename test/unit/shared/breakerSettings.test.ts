import {
	BREAKER_TRANSITION,
	BreakerCode,
	BreakerSettingsError,
	DEFAULT_BREAKER_SETTINGS,
	breakerSettings,
	effectiveBreakerState,
} from '../../../nodes/shared/breakerSettings';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const LUA = join(__dirname, '../../../nodes/shared/lua');

describe('breaker settings', () => {
	it('defaults: 5 consecutive failures, 30 s cool-down, 60 s probe timeout, frozen', () => {
		expect(DEFAULT_BREAKER_SETTINGS).toEqual({
			failureThreshold: 5,
			coolDownMs: 30_000,
			probeTimeoutMs: 60_000,
		});
		expect(Object.isFrozen(DEFAULT_BREAKER_SETTINGS)).toBe(true);
		expect(breakerSettings()).toEqual(DEFAULT_BREAKER_SETTINGS);
	});

	it('given fields replace the defaults, the rest stay; the result is frozen; undefined keeps the default', () => {
		const s = breakerSettings({ coolDownMs: 100, failureThreshold: undefined });
		expect(s).toEqual({ failureThreshold: 5, coolDownMs: 100, probeTimeoutMs: 60_000 });
		expect(Object.isFrozen(s)).toBe(true);
		expect(breakerSettings({ failureThreshold: 1, probeTimeoutMs: 86_400_000 })).toMatchObject({
			failureThreshold: 1,
			probeTimeoutMs: 86_400_000,
		});
	});

	it.each([
		['failureThreshold', 0],
		['failureThreshold', 1.5],
		['failureThreshold', 1_000_001],
		['failureThreshold', '5'],
		['coolDownMs', -1],
		['coolDownMs', Number.NaN],
		['coolDownMs', Infinity],
		['coolDownMs', 86_400_001],
		['probeTimeoutMs', 0],
		['probeTimeoutMs', null],
	])('%s = %p is refused, naming the field', (field, value) => {
		const attempt = () => breakerSettings({ [field]: value } as never);
		expect(attempt).toThrow(BreakerSettingsError);
		expect(attempt).toThrow(new RegExp(`^Breaker setting ${field} must be an integer`));
		try {
			attempt();
		} catch (error) {
			expect((error as BreakerSettingsError).field).toBe(field);
		}
	});

	it('an unknown (misspelt) field is refused, not ignored', () => {
		expect(() => breakerSettings({ cooldownMs: 10 } as never)).toThrow(
			/Unknown breaker setting 'cooldownMs'/,
		);
		expect(() => breakerSettings(null as never)).toThrow(BreakerSettingsError);
		expect(() => breakerSettings([] as never)).toThrow(BreakerSettingsError);
	});
});

describe('breaker state and codes', () => {
	it('effective state: no hash is closed; open past its cool-down is half-open', () => {
		expect(effectiveBreakerState('', null, 10)).toBe('closed');
		expect(effectiveBreakerState('closed', null, 10)).toBe('closed');
		expect(effectiveBreakerState('open', 100, 99)).toBe('open');
		expect(effectiveBreakerState('open', 100, 100)).toBe('half-open');
		expect(effectiveBreakerState('half-open', 100, 500)).toBe('half-open');
	});

	it('every recordCall code has a transition name, and admitCall codes none', () => {
		expect(BREAKER_TRANSITION).toEqual({
			[BreakerCode.Recorded]: 'none',
			[BreakerCode.Opened]: 'opened',
			[BreakerCode.Closed]: 'closed',
			[BreakerCode.Reopened]: 'reopened',
			[BreakerCode.NotProbe]: 'notProbe',
		});
	});

	it("every code the breaker's Lua headers list is in the enum, with the same number", () => {
		const listed = new Set<number>();
		for (const file of ['admitCall-1.lua', 'recordCall-1.lua', 'readBreaker-1.lua']) {
			const header = readFileSync(join(LUA, file), 'utf8').split(']]')[0];
			for (const m of header.matchAll(/^\s+\{ (-?\d+),/gm)) listed.add(Number(m[1]));
			for (const m of header.matchAll(/code (-?\d+) \(read\)/g)) listed.add(Number(m[1]));
		}
		const numbers = Object.values(BreakerCode).filter((v): v is number => typeof v === 'number');
		expect([...listed].sort((a, b) => a - b)).toEqual(numbers.sort((a, b) => a - b));
	});

	it('the shared scripts are named <verb><Object>-<N>.lua and use only their KEYS', () => {
		const files = [
			'admitCall-1.lua',
			'claimDeadLetter-2.lua',
			'readBreaker-1.lua',
			'recordCall-1.lua',
		];
		expect(readdirSync(LUA)).toEqual(expect.arrayContaining(files));
		for (const file of files) {
			const text = readFileSync(join(LUA, file), 'utf8');
			const n = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
			const header = text.split(']]')[0];
			for (let k = 1; k <= n; k++) expect(header).toContain(`KEYS[${k}]`);
			const used = [
				...text
					.split(']]')
					.slice(1)
					.join(']]')
					.matchAll(/KEYS\[(\d+)\]/g),
			].map((m) => Number(m[1]));
			expect(Math.max(...used)).toBeLessThanOrEqual(n);
		}
	});
});
