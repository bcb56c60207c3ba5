import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import Redis, { type RedisOptions } from 'ioredis';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	INodeExecutionData,
} from 'n8n-workflow';
import type { GuardContext } from '../../nodes/InventoryGuard/actions/router';

/**
 * Test tools for the Inventory Guard's integration tests: a real Redis always (the shared one on 6379 with a
 * key prefix per file, or a redis-server of the test's own on a free port), and a small real execute context.
 */

export const LOCAL = { host: '127.0.0.1', port: 6379 };

export function uniquePrefix(name: string): string {
	return `t-guard-${name}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `<prefix>:` (SCAN, never FLUSHALL: other files share this Redis). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
	let cursor = '0';
	let deleted = 0;
	do {
		const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
		cursor = next;
		if (keys.length) deleted += await redis.unlink(...keys);
	} while (cursor !== '0');
	return deleted;
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

export const sleep = async (ms: number) => await new Promise((r) => setTimeout(r, ms));

/** A redis-server of the test's own (`--save "" --appendonly no`), on a free port unless told. */
export class OwnRedis {
	private proc: ChildProcess | undefined;
	log = '';

	private constructor(
		readonly port: number,
		private readonly args: string[],
	) {}

	/** `tls`: listen with TLS only on `port` (`--port 0 --tls-port <port>`), with these files. */
	static async start(
		options: {
			args?: string[];
			tls?: { cert: string; key: string; ca: string };
			port?: number;
		} = {},
	) {
		const port = options.port ?? (await freePort());
		const listen = options.tls
			? [
					'--port',
					'0',
					'--tls-port',
					String(port),
					'--tls-cert-file',
					options.tls.cert,
					'--tls-key-file',
					options.tls.key,
					'--tls-ca-cert-file',
					options.tls.ca,
					'--tls-auth-clients',
					'no',
				]
			: ['--port', String(port)];
		const server = new OwnRedis(port, [
			...listen,
			'--bind',
			'127.0.0.1',
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
			...(options.args ?? []),
		]);
		await server.launch();
		return server;
	}

	private async launch(): Promise<void> {
		const proc = spawn('redis-server', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
		this.proc = proc;
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new Error(`redis-server on ${this.port} did not start:\n${this.log}`)),
				10_000,
			);
			const onData = (chunk: Buffer) => {
				this.log += chunk.toString();
				if (this.log.includes('Ready to accept connections')) {
					clearTimeout(timer);
					resolve();
				}
			};
			proc.stdout?.on('data', onData);
			proc.stderr?.on('data', onData);
			proc.once('exit', (code) => {
				clearTimeout(timer);
				reject(new Error(`redis-server on ${this.port} exited with ${code}:\n${this.log}`));
			});
		});
	}

	/** Kills the server at once (an outage, not a clean shutdown). */
	async kill(): Promise<void> {
		const proc = this.proc;
		this.proc = undefined;
		if (!proc || proc.exitCode !== null) return;
		await new Promise<void>((resolve) => {
			proc.once('exit', () => resolve());
			proc.kill('SIGKILL');
		});
	}

	/** Starts the same server again, same port and settings (empty: nothing is persisted). */
	async restart(): Promise<void> {
		await this.kill();
		this.log = '';
		for (let attempt = 0; ; attempt++) {
			try {
				await this.launch();
				return;
			} catch (error) {
				// The port may linger for a moment after SIGKILL.
				if (attempt >= 20) throw error;
				await sleep(100);
			}
		}
	}

	stop = async () => await this.kill();
}

export function credential(
	data: Partial<ICredentialDataDecryptedObject> & { keyPrefix: string },
): ICredentialDataDecryptedObject {
	return { host: LOCAL.host, port: LOCAL.port, database: 0, ...data };
}

export function client(options: RedisOptions = {}): Redis {
	const redis = new Redis({
		host: LOCAL.host,
		port: LOCAL.port,
		maxRetriesPerRequest: 1,
		...options,
	});
	redis.on('error', () => undefined);
	return redis;
}

export const TEST_NODE: INode = {
	id: 'guard-node-id',
	name: 'Inventory Guard',
	type: 'CUSTOM.inventoryGuard',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/** A parameter's value for one item: a constant or, standing for an expression, a function of the item. */
export type Param = unknown | ((json: IDataObject, index: number) => unknown);

/**
 * A real, small execute context: parameters resolved per item like n8n does (an expression is a function of
 * the item here), credentials handed over as n8n would after decrypting them.
 */
export function guardContext(options: {
	items: IDataObject[] | INodeExecutionData[];
	params: Record<string, Param>;
	credential: ICredentialDataDecryptedObject;
	continueOnFail?: boolean;
	executionId?: string;
	instanceId?: string;
}): GuardContext {
	const items: INodeExecutionData[] = options.items.map((item) =>
		item && typeof item === 'object' && 'json' in item && typeof item.json === 'object'
			? (item as INodeExecutionData)
			: { json: item as IDataObject },
	);
	const lookup = (name: string): unknown => {
		let value: unknown = options.params;
		for (const part of name.split('.')) {
			value =
				value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
		}
		return value;
	};
	const ctx = {
		getInputData: () => items,
		getNodeParameter: (name: string, index: number, ...fallback: unknown[]) => {
			const raw = lookup(name);
			const value =
				typeof raw === 'function'
					? (raw as (j: IDataObject, i: number) => unknown)(items[index].json, index)
					: raw;
			if (value === undefined) {
				// n8n throws for a missing parameter unless a fallback is given.
				if (fallback.length === 0) throw new Error(`Could not get parameter '${name}'`);
				return fallback[0];
			}
			return value;
		},
		getCredentials: async (type: string) => {
			if (type !== 'inventoryRedisApi') throw new Error(`unexpected credential ${type}`);
			return options.credential;
		},
		continueOnFail: () => options.continueOnFail === true,
		getNode: () => TEST_NODE,
		getExecutionId: () => options.executionId ?? `exec-${randomBytes(4).toString('hex')}`,
		getInstanceId: () => options.instanceId ?? 'test-instance',
	};
	return ctx as unknown as GuardContext;
}

/** The display names of the outputs items went to, per item index: e.g. { 0: 'New', 1: 'Duplicate' }. */
export function routeOf(outputs: INodeExecutionData[][], names: string[]): Record<number, string> {
	const out: Record<number, string> = {};
	outputs.forEach((items, o) =>
		items.forEach((item) => {
			const paired = item.pairedItem as { item: number };
			out[paired.item] = names[o];
		}),
	);
	return out;
}

export function shuffle<T>(list: T[], random = Math.random): T[] {
	const a = [...list];
	for (let i = a.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[a[i], a[j]] = [a[j], a[i]];
	}
	return a;
}
