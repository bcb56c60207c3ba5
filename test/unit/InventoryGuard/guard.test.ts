import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { GuardCode, toCode } from '../../../nodes/InventoryGuard/codes';
import {
	DEFAULT_SETTINGS,
	GuardInputError,
	MAX_KEYS_PER_SCRIPT,
	configuredOutputs,
	groupBy,
	guardSettings,
	keyText,
	ownerOf,
	secondsParam,
	tokenText,
} from '../../../nodes/InventoryGuard/guard';
import { fenceKey, guardKey, lockKey } from '../../../nodes/shared/keys';
import { newToken } from '../../../nodes/shared/locks';
import { UnexpectedReplyError, chunk } from '../../../nodes/shared/redisBatch';
import { commandName, parseScriptFileName } from '../../../nodes/shared/scripts';

const LUA = join(__dirname, '../../../nodes/InventoryGuard/lua');
const LOCK_LUA = join(__dirname, '../../../nodes/shared/locks/lua');

describe('guard keys', () => {
	it('follow the design layout', () => {
		expect(guardKey('invsync', '123@1700000000000')).toBe(
			'invsync:guard:123@1700000000000'.replace('@', '%40'),
		);
		expect(lockKey('invsync', 'SKU-1')).toBe('invsync:lock:SKU-1');
		expect(fenceKey('invsync', 'SKU-1')).toBe('invsync:fence:SKU-1');
		expect(lockKey('invsync', 'shopify', 'lease')).toBe('invsync:lock:lease:shopify');
		expect(guardKey('shop1:invsync', 'a', 'wf 1')).toBe('shop1:invsync:guard:wf%201:a');
	});

	it('escape braces, spaces, newlines and unicode; 10 KB texts become short digests', () => {
		for (const text of ['{a}', 'a b', 'a\nb', 'é', '🙂', '{{$json.id}}', 'x'.repeat(10_000)]) {
			const k = guardKey('p', text);
			expect(k.startsWith('p:guard:')).toBe(true);
			expect(/[{}\s]/.test(k)).toBe(false);
			expect(k.split(':')).toHaveLength(3);
			expect(k.length).toBeLessThan(220);
		}
		expect(guardKey('p', 'x'.repeat(10_000))).not.toBe(guardKey('p', 'x'.repeat(10_001)));
	});

	it('property: different (scope, text) pairs never share a key, across guard, lock and fence', () => {
		const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 120 });
		const scope = fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), {
			nil: undefined,
		});
		fc.assert(
			fc.property(text, scope, text, scope, (a, sa, b, sb) => {
				const ka = guardKey('p', a, sa);
				const kb = guardKey('p', b, sb);
				if (a !== b || (sa ?? '') !== (sb ?? '')) expect(ka).not.toBe(kb);
				expect(lockKey('p', a, sa)).not.toBe(guardKey('p', a, sa));
				expect(fenceKey('p', a, sa)).not.toBe(lockKey('p', a, sa));
			}),
			{ numRuns: 2000 },
		);
	});
});

describe('item input', () => {
	it('keyText accepts real keys and refuses empty or value-less ones', () => {
		expect(keyText('gid://shopify/LineItem/1@1700000000000')).toBe(
			'gid://shopify/LineItem/1@1700000000000',
		);
		expect(keyText(42)).toBe('42');
		expect(keyText(' a ')).toBe(' a ');
		expect(keyText('ops@example.com')).toBe('ops@example.com');
		expect(keyText('---')).toBe('---');
		expect(keyText('order-null@5')).toBe('order-null@5');
		// The default key's `version:quantity`: a null quantity (a status that moves no stock) is a value.
		expect(keyText('shopify:s:line:1@1700000000000:2')).toBe('shopify:s:line:1@1700000000000:2');
		expect(keyText('shopify:s:line:1@1700000000000:null')).toBe(
			'shopify:s:line:1@1700000000000:null',
		);
		for (const bad of [
			'',
			'  ',
			undefined,
			null,
			'undefined',
			'null',
			'@',
			'undefined@undefined',
			'undefined@undefined:undefined',
			'shopify:s:line:1@undefined:2',
			'shopify:s:line:1@:2',
			'null@',
			' @ ',
			'@1',
			'L1@',
			'L1@undefined',
			'undefined@1700000000000',
		]) {
			expect(() => keyText(bad)).toThrow(GuardInputError);
		}
		expect(() => keyText({ a: 1 })).toThrow(/not an object/);
		expect(() => keyText([1])).toThrow(/not an array/);
	});

	it('tokens are 16 random bytes in hex, and only such text is accepted back', () => {
		const t = newToken();
		expect(t).toMatch(/^[0-9a-f]{32}$/);
		expect(newToken()).not.toBe(t);
		expect(newToken(() => Buffer.alloc(16, 0xab))).toBe('ab'.repeat(16));
		expect(tokenText(t)).toBe(t);
		expect(() => tokenText('')).toThrow(/Token is empty/);
		expect(() => tokenText(undefined)).toThrow(/Token is empty/);
		expect(() => tokenText('xyz')).toThrow(/not a lock token/);
	});

	it('owner names the instance and execution; without an execution id it is unique', () => {
		expect(ownerOf('inst', '42')).toBe('inst/42');
		expect(ownerOf('inst', '')).toMatch(/^inst\/anonymous-[0-9a-f]{32}$/);
		expect(ownerOf(undefined, '')).not.toBe(ownerOf(undefined, ''));
	});
});

describe('batching', () => {
	it('chunks keep order and size', () => {
		expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
		expect(chunk([], 3)).toEqual([]);
		expect(() => chunk([1], 0)).toThrow(RangeError);
		const big = Array.from({ length: 2_500 }, (_, i) => i);
		const parts = chunk(big, MAX_KEYS_PER_SCRIPT);
		expect(parts.map((p) => p.length)).toEqual([1000, 1000, 500]);
		expect(parts.flat()).toEqual(big);
	});

	it('groupBy keeps first-seen order and every index once', () => {
		expect(groupBy(['a', 'b', 'a', 'c', 'b'], (x) => x)).toEqual([
			{ id: 'a', indexes: [0, 2] },
			{ id: 'b', indexes: [1, 4] },
			{ id: 'c', indexes: [3] },
		]);
	});
});

describe('settings', () => {
	it('defaults are frozen and match the issue', () => {
		expect(Object.isFrozen(DEFAULT_SETTINGS)).toBe(true);
		expect(DEFAULT_SETTINGS).toMatchObject({
			claimTtlMs: 300_000,
			commitTtlMs: 259_200_000,
			lockTtlMs: 30_000,
			maxWaitMs: 5_000,
		});
		expect(guardSettings()).toEqual(DEFAULT_SETTINGS);
	});

	it('partial settings are checked one by one', () => {
		expect(guardSettings({ claimTtlMs: 1500.4, maxWaitMs: 0 })).toMatchObject({
			claimTtlMs: 1500,
			maxWaitMs: 0,
		});
		expect(guardSettings({ retryBaseMs: 5_000 }).retryCapMs).toBe(5_000);
		expect(() => guardSettings({ claimTtlMs: 0 })).toThrow(/claimTtlMs must be between/);
		expect(() => guardSettings({ lockTtlMs: Number.NaN })).toThrow(/must be a number/);
		expect(() => guardSettings({ commitTtlMs: '5' as unknown as number })).toThrow(
			/must be a number/,
		);
		expect(() => guardSettings({ maxWaitMs: -1 })).toThrow(GuardInputError);
		expect(() => guardSettings({ nope: 1 } as never)).toThrow(/Unknown setting/);
	});

	it('seconds parameters become milliseconds', () => {
		expect(secondsParam(300, 'x')).toBe(300_000);
		expect(secondsParam(0.25, 'x')).toBe(250);
		expect(secondsParam('2', 'x')).toBe(2_000);
		expect(secondsParam(undefined, 'x')).toBeUndefined();
		expect(secondsParam('', 'x')).toBeUndefined();
		expect(() => secondsParam('soon', 'Claim TTL')).toThrow(
			/Claim TTL must be a number of seconds/,
		);
	});
});

describe('outputs per operation', () => {
	it('as a function', () => {
		const names = (operation?: string) =>
			configuredOutputs({ operation }).map((o) => o.displayName);
		expect(names('deduplicate')).toEqual(['New', 'Duplicate']);
		expect(names('claim')).toEqual(['New', 'Duplicate']); // the value before 0.2, kept for saved workflows
		expect(names(undefined)).toEqual(['New', 'Duplicate']);
		expect(names('lock')).toEqual(['Acquired', 'Busy']);
		expect(names('extend')).toEqual(['Extended', 'Lost']);
		for (const op of ['commit', 'release', 'unlock']) expect(names(op)).toEqual(['Done']);
		expect(configuredOutputs({ operation: 'lock' }).every((o) => o.type === 'main')).toBe(true);
	});

	it('as n8n evaluates it: from its source text alone', () => {
		// n8n gets `={{(<source>)($parameter)}}`: the source must not refer to anything outside itself.
		const fn = new Function(
			'$parameter',
			`return (${configuredOutputs.toString()})($parameter)`,
		) as (p: object) => Array<{ displayName: string }>;
		expect(fn({ operation: 'lock' }).map((o) => o.displayName)).toEqual(['Acquired', 'Busy']);
		expect(fn({}).map((o) => o.displayName)).toEqual(['New', 'Duplicate']);
	});
});

describe('codes', () => {
	it('toCode accepts only known codes', () => {
		expect(toCode('x', 1)).toBe(GuardCode.Ok);
		expect(toCode('x', '-5')).toBe(GuardCode.LockBusy);
		expect(() => toCode('claimKeys', 9)).toThrow(UnexpectedReplyError);
		expect(() => toCode('claimKeys', 'OK')).toThrow(/claimKeys/);
	});
});

describe('lua files', () => {
	const files = readdirSync(LUA).filter((f) => f.endsWith('.lua'));
	const enumCodes = new Set(Object.values(GuardCode).filter((v) => typeof v === 'number'));

	it('are the three dedupe scripts (the lock scripts are shared: nodes/shared/locks), named <verb><Object>[-<N>].lua', () => {
		expect(files.sort()).toEqual(['claimKeys.lua', 'commitKeys.lua', 'releaseKeys.lua']);
		expect(readdirSync(LOCK_LUA).sort()).toEqual([
			'acquireLock-2.lua',
			'extendLock-1.lua',
			'releaseLock-1.lua',
		]);
		expect(parseScriptFileName('acquireLock-2.lua')).toEqual({
			name: 'acquireLock',
			numberOfKeys: 2,
		});
		expect(parseScriptFileName('claimKeys.lua')).toEqual({
			name: 'claimKeys',
			numberOfKeys: undefined,
		});
		expect(() => parseScriptFileName('claim_keys.lua')).toThrow(/must be named/);
		expect(commandName('guard', 'claimKeys')).toBe('guardClaimKeys');
	});

	it.each([
		...files.map((f) => join(LUA, f)),
		...readdirSync(LOCK_LUA).map((f) => join(LOCK_LUA, f)),
	])('%s: header first, fixed KEYS within N, every returned code in the enum', (path) => {
		const file = path.slice(path.lastIndexOf('/') + 1);
		const lua = readFileSync(path, 'utf8');
		expect(lua.startsWith('--[[')).toBe(true);
		const header = lua.slice(0, lua.indexOf(']]'));
		expect(header).toMatch(/Input:/);
		expect(header).toMatch(/Output/);
		const { numberOfKeys } = parseScriptFileName(file);
		const body = lua.slice(lua.indexOf(']]') + 2);
		const used = [...body.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
		if (numberOfKeys !== undefined) {
			for (const i of used) expect(i).toBeLessThanOrEqual(numberOfKeys);
			for (let i = 1; i <= numberOfKeys; i++) expect(header).toContain(`KEYS[${i}]`);
		} else {
			expect(used).toEqual([]);
			expect(body).toMatch(/#KEYS/);
		}
		for (const m of body.matchAll(/(?:return|=)\s*\{?\s*(-\d+)/g))
			expect(enumCodes.has(Number(m[1]))).toBe(true);
		for (const m of header.matchAll(/^\s+\{?\s*(-\d+)\b/gm))
			expect(enumCodes.has(Number(m[1]))).toBe(true);
		// No key built inside a script: every key comes from KEYS.
		expect(body).not.toMatch(/redis\.call\('[A-Z]+',\s*'/);
	});
});
