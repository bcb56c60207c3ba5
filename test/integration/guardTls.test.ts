import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	IDataObject,
} from 'n8n-workflow';
import { executeGuard } from '../../nodes/InventoryGuard/actions/router';
import { closeAllRedis, testRedisCredential } from '../../nodes/shared/redis';
import { GuardCode } from '../../nodes/InventoryGuard/codes';
import { guardContext } from './guardHarness';
import {
	concurrentClaims,
	connectionFor,
	errorsOf,
	fencingAfterExpiry,
	lockedCounter,
	nodeDedupeFlow,
	nodeLockFlow,
	wrongTokenChecks,
} from './guardSuite';
import { OwnRedis, sleep, uniquePrefix } from '../support';

// The Guard suite once more, against a Redis of this test's own that speaks only TLS (a self-signed
// certificate made here with openssl) and an ACL user limited to this file's key prefix. Then the two
// refusals: a wrong password and an evicting maxmemory-policy, each with its clear error.
jest.setTimeout(180_000);

const ADMIN_PASSWORD = 'tls-admin-Secret-41ab';
const USER = 'guard';
const USER_PASSWORD = 'tls-guard-Secret-77cd';
const prefix = uniquePrefix('tls');
let dir: string;
let ca: string;
let server: OwnRedis;
let admin: Redis;

function cred(
	overrides: Partial<ICredentialDataDecryptedObject> = {},
): ICredentialDataDecryptedObject {
	return {
		host: '127.0.0.1',
		port: server.port,
		database: 0,
		tls: true,
		tlsCa: ca,
		user: USER,
		password: USER_PASSWORD,
		keyPrefix: prefix,
		...overrides,
	};
}

const credentialTest = async (data: ICredentialDataDecryptedObject) =>
	await testRedisCredential.call({} as ICredentialTestFunctions, {
		id: 'c',
		name: 'Inventory Redis',
		type: 'inventoryRedisApi',
		data,
	});

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'guard-tls-'));
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-days',
			'1',
			'-keyout',
			join(dir, 'key.pem'),
			'-out',
			join(dir, 'cert.pem'),
			'-subj',
			'/CN=127.0.0.1',
			'-addext',
			'subjectAltName=IP:127.0.0.1,DNS:localhost',
		],
		{ stdio: 'ignore' },
	);
	ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
	const files = {
		cert: join(dir, 'cert.pem'),
		key: join(dir, 'key.pem'),
		ca: join(dir, 'cert.pem'),
	};
	server = await OwnRedis.start({ tls: files, args: ['--requirepass', ADMIN_PASSWORD] });
	admin = new Redis({
		host: '127.0.0.1',
		port: server.port,
		password: ADMIN_PASSWORD,
		tls: { ca: [ca] },
	});
	// The node's user: only this file's keys, only the commands the package needs.
	await admin.call(
		'ACL',
		'SETUSER',
		USER,
		'reset',
		'on',
		`>${USER_PASSWORD}`,
		`~${prefix}:*`,
		'resetchannels',
		'-@all',
		'+@read',
		'+@write',
		'+@scripting',
		'+@connection',
		'+info',
	);
});
afterAll(async () => {
	await closeAllRedis();
	await admin?.quit();
	await server?.stop();
	rmSync(dir, { recursive: true, force: true });
	await sleep(2_100); // ioredis's own 2 s close timer for refused sockets
});

describe('TLS + ACL user: the suite once more', () => {
	it('the credential test passes over TLS with the ACL user', async () => {
		expect(await credentialTest(cred())).toMatchObject({ status: 'OK' });
	});

	it('50 separate connections claim the same 1,000 keys: exactly one New per key', async () => {
		const { newPerKey, duplicates } = await concurrentClaims({
			cred: cred(),
			prefix,
			connections: 50,
			keys: 1_000,
			batch: 100,
		});
		expect(newPerKey.filter((n) => n !== 1)).toEqual([]);
		expect(duplicates).toBe(49 * 1_000);
	});

	it('20 contenders, 500 locked read-modify-write increments: 500', async () => {
		const { value, fences, releaseCodes } = await lockedCounter({
			cred: cred(),
			prefix,
			contenders: 20,
			total: 500,
		});
		expect(value).toBe(500);
		expect(fences.every((f, i) => i === 0 || f > fences[i - 1])).toBe(true);
		expect(releaseCodes.every((c) => c === GuardCode.Ok)).toBe(true);
	});

	it('wrong-token release/extend do nothing; an expired lock gives a higher fence and locks out the old holder', async () => {
		const redis = await connectionFor(cred());
		try {
			await wrongTokenChecks(redis, prefix);
			await fencingAfterExpiry(redis, prefix);
		} finally {
			await redis.quit();
		}
	});

	it('node flows: Deduplicate / Commit / Release and Lock / Extend / Unlock', async () => {
		await nodeDedupeFlow(cred());
		await nodeLockFlow(cred());
	});

	it('the ACL user touched only its prefix: a key outside it is refused with a clear error', async () => {
		const outside = uniquePrefix('elsewhere');
		await expect(
			executeGuard(
				guardContext({
					items: [{ id: 'x', version: 1 }],
					params: { operation: 'deduplicate', key: 'x@1', claimTtl: 60 },
					credential: cred({ keyPrefix: outside }),
				}),
			),
		).rejects.toThrow(
			new RegExp(`Redis at 127\\.0\\.0\\.1:${server.port}: permission denied for this ACL user`),
		);
		expect(await admin.keys(`${outside}:*`)).toEqual([]);
	});
});

describe('refusals', () => {
	const claim = async (data: ICredentialDataDecryptedObject, continueOnFail = false) =>
		await executeGuard(
			guardContext({
				items: [{ id: 'r', version: 1 }],
				params: {
					operation: 'deduplicate',
					key: (j: IDataObject) => `${j.id}@${j.version}`,
					claimTtl: 60,
				},
				credential: data,
				continueOnFail,
			}),
		);

	it('a wrong password: authentication failed, naming host:port and never the password', async () => {
		const wrong = cred({ password: 'not-the-Password-123' });
		const target = `127.0.0.1:${server.port}`;
		let message = '';
		try {
			await claim(wrong);
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toBe(`Redis at ${target}: authentication failed (wrong user or password)`);
		const carried = await claim(wrong, true);
		expect(errorsOf(carried)).toEqual([message]);
		expect(JSON.stringify(carried)).not.toContain('not-the-Password-123');
		const test = await credentialTest(wrong);
		expect(test).toEqual({ status: 'Error', message });
	});

	it('TLS without the CA of a self-signed server: a TLS error, not a hang', async () => {
		const t0 = Date.now();
		await expect(claim(cred({ tlsCa: '', keyPrefix: `${prefix}-noca` }))).rejects.toThrow(
			new RegExp(`Redis at 127\\.0\\.0\\.1:${server.port}: TLS failed`),
		);
		expect(Date.now() - t0).toBeLessThan(5_000);
	});

	it('an evicting maxmemory-policy is refused with a clear error, and accepted again once fixed', async () => {
		await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
		try {
			await closeAllRedis(); // the policy is checked when a client connects
			await expect(claim(cred())).rejects.toThrow(
				`Redis at 127.0.0.1:${server.port} has maxmemory-policy 'allkeys-lru': it must be 'noeviction'`,
			);
			const carried = await claim(cred(), true);
			expect(errorsOf(carried)[0]).toMatch(/maxmemory-policy 'allkeys-lru'/);
			expect(await credentialTest(cred())).toMatchObject({
				status: 'Error',
				message: expect.stringMatching(/allkeys-lru/),
			});
		} finally {
			await admin.config('SET', 'maxmemory-policy', 'noeviction');
		}
		const ok = await claim(cred());
		expect(ok[0].length + ok[1].length).toBe(1);
	});
});
