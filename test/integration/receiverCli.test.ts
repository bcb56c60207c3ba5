import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { inboxKey } from '../../nodes/shared/keys';
import { ShopifySimulator, WooCommerceSimulator } from '../simulators';
import {
	OwnRedis,
	TEST_REDIS,
	deleteByPrefix,
	testClient,
	uniquePrefix,
	waitFor,
} from '../support';
import { SHOPIFY_PATH, WOO_PATH, entries, get, slowRequest, type Answer } from './receiverHarness';

// The real CLI as a child process with a config file: --check, SIGTERM with requests in flight, and the
// secrets (planted inline, in the environment and in files) that must never show in logs, metrics or answers.
jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'invsync-receiver-cli-'));
const prefix = uniquePrefix('receiver-cli');
let admin: Redis;
let shopify: ShopifySimulator;
let woo: WooCommerceSimulator;

const SECRETS = {
	shopInline: 'planted-shop-secret-4d1f9a',
	shopPreviousEnv: 'planted-previous-secret-8b2e7c',
	wooFile: 'planted-woo-secret-0a6c3e',
	redisPassword: 'planted-redis-password-5f9d21',
};
const PREVIOUS_ENV = 'INVSYNC_TEST_RECEIVER_PREVIOUS';

const sign = (body: Buffer | string, secret: string) =>
	createHmac('sha256', secret).update(body).digest('base64');

/**
 * The built CLI (dist/receiver/cli.js, what the `bin` runs; `npm test` builds it first) when it is newer than
 * every receiver source, else the same file from source through ts-node.
 */
function cliCommand(): string[] {
	const built = join(ROOT, 'dist', 'receiver', 'cli.js');
	const newest = Math.max(
		...readdirSync(join(ROOT, 'receiver')).map((f) => statSync(join(ROOT, 'receiver', f)).mtimeMs),
	);
	if (existsSync(built) && statSync(built).mtimeMs >= newest) return [built];
	return ['-r', 'ts-node/register/transpile-only', join(ROOT, 'receiver', 'cli.ts')];
}

interface Cli {
	child: ChildProcess;
	out: () => string;
	exit: Promise<number | null>;
}

function runCli(args: string[], env: Record<string, string> = {}): Cli {
	const child = spawn(process.execPath, [...cliCommand(), ...args], {
		cwd: ROOT,
		env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let out = '';
	child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
	child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
	const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
	return { child, out: () => out, exit };
}

/** Waits for the `listening` log line; the receiver's URL. */
async function listening(cli: Cli): Promise<string> {
	const line = await waitFor(
		() => /\{[^\n]*"event":"listening"[^\n]*\}/.exec(cli.out())?.[0],
		(l) => l !== undefined,
		30_000,
		`listening line (output so far: ${cli.out().slice(0, 300)})`,
		50,
	);
	return String(JSON.parse(line as string).url);
}

let files = 0;
function configFile(config: Record<string, unknown>): string {
	const file = join(dir, `receiver-${++files}.json`);
	writeFileSync(file, JSON.stringify(config, null, 2));
	return file;
}

function shops(extra: Record<string, unknown> = {}) {
	writeFileSync(join(dir, 'woo.secret'), `${SECRETS.wooFile}\n`);
	return [
		{
			platform: 'shopify',
			shop: 'demo-shop.myshopify.com',
			path: SHOPIFY_PATH,
			secret: SECRETS.shopInline,
			previousSecretEnv: PREVIOUS_ENV,
			...extra,
		},
		{ platform: 'woocommerce', shop: 'shop.example.com', path: WOO_PATH, secretFile: 'woo.secret' },
	];
}
const ENV = { [PREVIOUS_ENV]: SECRETS.shopPreviousEnv };

function expectNoSecret(text: string): void {
	for (const [name, secret] of Object.entries(SECRETS)) {
		if (text.includes(secret))
			throw new Error(`the secret ${name} appears in: ${text.slice(0, 2000)}`);
	}
}

beforeAll(async () => {
	admin = testClient();
	shopify = new ShopifySimulator({ webhookSecret: SECRETS.shopInline });
	woo = new WooCommerceSimulator({ consumerKey: 'ck_test', consumerSecret: 'cs_test' });
	await woo.start();
});
afterAll(async () => {
	await woo.stop();
	await deleteByPrefix(admin, prefix);
	await admin.quit();
	rmSync(dir, { recursive: true, force: true });
});

describe('--check', () => {
	it('a good configuration and Redis: exit 0, says what it checked and where each secret came from, never a value', async () => {
		const file = configFile({
			listen: { port: 0 },
			redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, keyPrefix: prefix },
			shops: shops(),
		});
		const cli = runCli(['receiver', '--config', file, '--check'], ENV);
		expect(await cli.exit).toBe(0);
		const out = cli.out();
		expect(out).toContain(`ok    config: ${file}`);
		expect(out).toContain(`ok    redis: PING answered by ${TEST_REDIS.host}:${TEST_REDIS.port}`);
		expect(out).toContain('ok    redis: maxmemory-policy is noeviction');
		expect(out).toContain(
			`shopify demo-shop.myshopify.com at ${SHOPIFY_PATH}: secret from config, previous secret from env ${PREVIOUS_ENV}`,
		);
		expect(out).toContain(`secret from file ${join(dir, 'woo.secret')}, previous secret from none`);
		expectNoSecret(out);
	});

	it('an evicting Redis, a wrong Redis password, an unset secret variable: exit 1, the reason, no secret', async () => {
		const evicting = await OwnRedis.start({ args: ['--maxmemory-policy', 'allkeys-lru'] });
		const guarded = await OwnRedis.start({ args: ['--requirepass', SECRETS.redisPassword] });
		try {
			const lru = runCli(
				[
					'receiver',
					'--config',
					configFile({ listen: { port: 0 }, redis: { port: evicting.port }, shops: shops() }),
					'--check',
				],
				ENV,
			);
			expect(await lru.exit).toBe(1);
			expect(lru.out()).toMatch(/FAIL .*maxmemory-policy 'allkeys-lru'.*noeviction/);

			writeFileSync(join(dir, 'redis.pass'), 'not-the-password\n');
			const wrong = runCli(
				[
					'receiver',
					'--config',
					configFile({
						listen: { port: 0 },
						redis: { port: guarded.port, passwordFile: 'redis.pass' },
						shops: shops(),
					}),
					'--check',
				],
				ENV,
			);
			expect(await wrong.exit).toBe(1);
			expect(wrong.out()).toContain('authentication failed');
			expect(wrong.out()).not.toContain('not-the-password');

			writeFileSync(join(dir, 'redis.pass'), `${SECRETS.redisPassword}\n`);
			const right = runCli(
				[
					'receiver',
					'--config',
					configFile({
						listen: { port: 0 },
						redis: { port: guarded.port, passwordFile: 'redis.pass' },
						shops: shops(),
					}),
					'--check',
				],
				ENV,
			);
			expect(await right.exit).toBe(0);
			expect(right.out()).toContain('"password":"file ');

			const unset = runCli([
				'receiver',
				'--config',
				configFile({ listen: { port: 0 }, redis: { port: guarded.port }, shops: shops() }),
				'--check',
			]);
			expect(await unset.exit).toBe(1);
			expect(unset.out()).toContain(
				`FAIL  config: shops[0].previousSecretEnv: environment variable ${PREVIOUS_ENV} is not set or empty`,
			);
			for (const cli of [lru, wrong, right, unset]) expectNoSecret(cli.out());
		} finally {
			await evicting.stop();
			await guarded.stop();
		}
	});
});

describe('running', () => {
	it('SIGTERM with requests in flight: each gets its answer, every 200 is stored once, exit code 0', async () => {
		const file = configFile({
			listen: { port: 0 },
			redis: { host: TEST_REDIS.host, port: TEST_REDIS.port, keyPrefix: prefix },
			inboxStream: 'sigterm',
			shops: shops(),
		});
		const cli = runCli(['receiver', '--config', file], ENV);
		const url = await listening(cli);
		const held = Array.from({ length: 6 }, (_, i) => {
			const body = Buffer.from(`{"held":${i},"inventory_item_id":${i},"available":1}`);
			return {
				body,
				...slowRequest(url + SHOPIFY_PATH, body, {
					'X-Shopify-Hmac-Sha256': sign(body, SECRETS.shopInline),
				}),
			};
		});
		await waitFor(
			async () => (await get(`${url}/metrics`)).body,
			(t) => t.includes('invsync_receiver_in_flight 6'),
			10_000,
			'six requests in flight',
		);
		const burst = Array.from({ length: 100 }, async (_, i) =>
			shopify.sendWebhook(url + SHOPIFY_PATH, 'inventory_levels/update', `{"burst":${i}}`),
		);
		cli.child.kill('SIGTERM');
		await waitFor(
			() => cli.out(),
			(o) => o.includes('"event":"shutting_down"'),
			10_000,
			'shutting down',
		);
		held.forEach((h) => h.finish());
		const heldAnswers: Answer[] = await Promise.all(held.map(async (h) => await h.answer));
		const burstAnswers = await Promise.all(burst);
		expect(await cli.exit).toBe(0);

		// What was being received when the signal came is finished and stored, not cut.
		expect(heldAnswers.map((a) => a.status)).toEqual(held.map(() => 200));
		const stored = await entries(admin, inboxKey(prefix, 'sigterm'));
		const bodies = stored.map((e) => (e.fields.get('body') as Buffer).toString());
		for (const h of held) expect(bodies.filter((b) => b === h.body.toString())).toHaveLength(1);
		// A burst request either got an answer, or was refused at connect (the listener was already closed);
		// none was cut after being accepted, and every 200 is in the stream exactly once.
		for (const a of burstAnswers) {
			expect([200, 503, 0]).toContain(a.status);
			if (a.status === 0) expect(a.error).toMatch(/ECONNREFUSED|ECONNRESET/);
			if (a.status === 200) expect(bodies.filter((b) => b === a.rawBody)).toHaveLength(1);
		}
		expect(stored).toHaveLength(held.length + burstAnswers.filter((a) => a.status === 200).length);
		expect(cli.out()).toContain('"event":"closed"');
	});

	it('secrets planted in the config, the environment and files never appear in logs, metrics or answers', async () => {
		const own = await OwnRedis.start({ args: ['--requirepass', SECRETS.redisPassword] });
		writeFileSync(join(dir, 'redis.pass'), `${SECRETS.redisPassword}\n`);
		const answers: string[] = [];
		try {
			const cli = runCli(
				[
					'receiver',
					'--config',
					configFile({
						listen: { port: 0 },
						redis: { port: own.port, passwordFile: 'redis.pass', keyPrefix: prefix },
						shops: shops(),
					}),
				],
				ENV,
			);
			const url = await listening(cli);
			const level = '{"inventory_item_id":1,"location_id":2,"available":3}';
			const send = async (opts: Parameters<ShopifySimulator['sendWebhook']>[3]) => {
				const r = await shopify.sendWebhook(
					url + SHOPIFY_PATH,
					'inventory_levels/update',
					level,
					opts,
				);
				answers.push(`${r.status} ${r.body}`);
				return r.status;
			};
			expect(await send({})).toBe(200);
			expect(await send({ secret: SECRETS.shopPreviousEnv })).toBe(200);
			expect(await send({ secret: 'wrong' })).toBe(401);
			expect(await send({ tamper: true })).toBe(401);
			expect(await send({ omitHmac: true })).toBe(401);
			const wooSent = await woo.sendWebhook(url + WOO_PATH, 'order.updated', '{"id":1}', {
				secret: SECRETS.wooFile,
			});
			expect(wooSent.status).toBe(200);
			await own.kill();
			expect(await send({})).toBe(503);
			answers.push((await get(`${url}/healthz`)).body);
			await own.restart();
			await waitFor(
				async () => await send({}),
				(s) => s === 200,
				20_000,
				'back',
				100,
			);
			const metrics = await get(`${url}/metrics`);
			answers.push(metrics.body);
			cli.child.kill('SIGTERM');
			expect(await cli.exit).toBe(0);
			expect(cli.out()).toContain('"event":"inbox_unavailable"');
			expectNoSecret(cli.out());
			expectNoSecret(answers.join('\n'));
		} finally {
			await own.stop();
		}
	});
});
