import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../test/support/redisServer';
import { sleep, waitFor } from '../test/support/wait';

/**
 * Redis with replication and Sentinel on loopback, as production queue-mode setups run it: a primary, one
 * replica and three Sentinels (`redis-server <conf> --sentinel`: no separate binary). Every process is ours
 * (started here, killed by pid). Sentinel settings are short so a failover takes seconds, not the default 30 s:
 * down-after-milliseconds 1000, failover-timeout 5000.
 */

/**
 * Each cluster monitors its primary under a name of its own. Sentinels find each other and adopt newer
 * configurations through hello messages keyed by that name, so two clusters under one name (one test's, then
 * the next one's on ports the first just freed, or a leftover process) could take each other's configuration.
 */
let clustersStarted = 0;
function uniqueMasterName(): string {
	clustersStarted++;
	return `invsyncchaos-${process.pid}-${clustersStarted}-${Date.now().toString(36)}`;
}
const DOWN_AFTER_MS = 1_000;

class Proc {
	child: ChildProcess | undefined;
	/** Output of the current start (the ready check reads it). */
	log = '';
	/** Output of the starts before. */
	earlierLog = '';

	constructor(
		readonly name: string,
		readonly port: number,
		private readonly args: () => string[],
	) {}

	async start(ready: RegExp): Promise<void> {
		this.earlierLog += this.log;
		this.log = '';
		for (let attempt = 0; ; attempt++) {
			try {
				await this.launch(ready);
				return;
			} catch (error) {
				// A port may stay busy for a moment after SIGKILL.
				if (attempt >= 20) throw error;
				await sleep(100);
			}
		}
	}

	private async launch(ready: RegExp): Promise<void> {
		const child = spawn('redis-server', this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
		this.child = child;
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				// Not left running behind the next attempt (or after stop()): it would hold the port.
				child.kill('SIGKILL');
				reject(new Error(`${this.name} did not start:\n${this.log.slice(-2000)}`));
			}, 10_000);
			const onData = (chunk: Buffer) => {
				this.log += chunk.toString();
				if (ready.test(this.log)) {
					clearTimeout(timer);
					resolve();
				}
			};
			child.stdout?.on('data', onData);
			child.stderr?.on('data', onData);
			child.once('exit', (code) => {
				clearTimeout(timer);
				reject(new Error(`${this.name} exited with ${code}:\n${this.log.slice(-2000)}`));
			});
		});
	}

	async kill(): Promise<void> {
		const child = this.child;
		this.child = undefined;
		if (!child || child.exitCode !== null || child.signalCode !== null) return;
		await new Promise<void>((resolve) => {
			child.once('exit', () => resolve());
			child.kill('SIGKILL');
		});
	}
}

export interface SentinelClusterOptions {
	/** Extra redis-server arguments for both data nodes (e.g. AOF settings). */
	dataArgs?: string[];
}

export class SentinelCluster {
	readonly dir: string;
	/** The name the Sentinels monitor the primary under (SENTINEL MASTER <name>; the credential's Master Name). */
	readonly masterName = uniqueMasterName();
	/** The two data nodes; which one is the primary changes with a failover. */
	readonly nodes: Proc[] = [];
	readonly sentinels: Proc[] = [];

	private constructor(dir: string) {
		this.dir = dir;
	}

	/** Starts node A as primary, node B as its replica, then three Sentinels; resolves once all see each other. */
	static async start(options: SentinelClusterOptions = {}): Promise<SentinelCluster> {
		const cluster = new SentinelCluster(
			fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-sentinel-')),
		);
		try {
			await cluster.boot(options);
		} catch (error) {
			await cluster.stop();
			throw error;
		}
		return cluster;
	}

	private async boot(options: SentinelClusterOptions): Promise<void> {
		const [a, b] = [await freePort(), await freePort()];
		const data = (name: string, port: number, replicaOf?: number) => {
			const dir = path.join(this.dir, name);
			fs.mkdirSync(dir);
			return new Proc(name, port, () => [
				'--port',
				String(port),
				'--bind',
				'127.0.0.1',
				'--dir',
				dir,
				'--save',
				'',
				'--appendonly',
				'no',
				'--daemonize',
				'no',
				...(options.dataArgs ?? []),
				// Only at first start: after a failover Sentinel itself tells a returning node whom to follow.
				...(replicaOf && !fs.existsSync(path.join(dir, '.started'))
					? ['--replicaof', '127.0.0.1', String(replicaOf)]
					: []),
			]);
		};
		this.nodes.push(data('node-a', a), data('node-b', b, a));
		await this.nodes[0].start(/Ready to accept connections/);
		await this.nodes[1].start(/Ready to accept connections/);
		for (const n of this.nodes) fs.writeFileSync(path.join(this.dir, n.name, '.started'), '');
		await this.waitReplicaSynced(a);
		for (let i = 0; i < 3; i++) {
			const port = await freePort();
			const conf = path.join(this.dir, `sentinel-${i}.conf`);
			// Sentinel rewrites its own config file (what it learned): one writable file each.
			fs.writeFileSync(
				conf,
				[
					`port ${port}`,
					'bind 127.0.0.1',
					'daemonize no',
					`dir ${this.dir}`,
					`sentinel monitor ${this.masterName} 127.0.0.1 ${a} 2`,
					`sentinel down-after-milliseconds ${this.masterName} ${DOWN_AFTER_MS}`,
					`sentinel failover-timeout ${this.masterName} 5000`,
					`sentinel parallel-syncs ${this.masterName} 1`,
					'',
				].join('\n'),
			);
			const s = new Proc(`sentinel-${i}`, port, () => [conf, '--sentinel']);
			this.sentinels.push(s);
			await s.start(/\+monitor master/);
		}
		// A failover needs a majority of the Sentinels to know each other and the replica.
		for (const s of this.sentinels) {
			await waitFor(
				async () => await this.sentinelMaster(s.port),
				(m) => m['num-other-sentinels'] === '2' && m['num-slaves'] === '1',
				30_000,
				`${s.name} knows the other Sentinels and the replica`,
				100,
			);
		}
	}

	private async waitReplicaSynced(primaryPort: number): Promise<void> {
		const client = new Redis({ host: '127.0.0.1', port: primaryPort, lazyConnect: true });
		try {
			await client.connect();
			await waitFor(
				async () => await client.info('replication'),
				(info) => /slave0:.*state=online/.test(info),
				20_000,
				'replica online',
				100,
			);
		} finally {
			client.disconnect();
		}
	}

	/** SENTINEL MASTER as a map (asked of one Sentinel). */
	async sentinelMaster(port: number): Promise<Record<string, string>> {
		const client = new Redis({
			host: '127.0.0.1',
			port,
			lazyConnect: true,
			retryStrategy: () => null,
		});
		client.on('error', () => undefined);
		try {
			await client.connect();
			const flat = (await client.call('SENTINEL', 'MASTER', this.masterName)) as string[];
			const out: Record<string, string> = {};
			for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
			return out;
		} catch {
			return {};
		} finally {
			client.disconnect();
		}
	}

	/** The port the Sentinels report as primary (asked of the first Sentinel that answers). */
	async primaryPort(): Promise<number | undefined> {
		for (const s of this.sentinels) {
			const m = await this.sentinelMaster(s.port);
			if (m.port) return Number(m.port);
		}
		return undefined;
	}

	/** `host:port, …` of the Sentinels, as the credential's Sentinels field takes them. */
	get sentinelList(): string {
		return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(', ');
	}

	nodeOn(port: number): Proc {
		const n = this.nodes.find((x) => x.port === port);
		if (!n) throw new Error(`no data node on ${port}`);
		return n;
	}

	/** SIGKILL the current primary; returns its port. */
	async killPrimary(): Promise<number> {
		const port = await this.primaryPort();
		if (port === undefined) throw new Error('no Sentinel names a primary');
		await this.nodeOn(port).kill();
		return port;
	}

	/** Starts a killed data node again (Sentinel turns it into a replica of the new primary). */
	async restartNode(port: number): Promise<void> {
		await this.nodeOn(port).start(/Ready to accept connections/);
	}

	/**
	 * Waits until every Sentinel names the same primary, other than `oldPort`; returns it. Not just the first
	 * to answer: a Sentinel that has not yet heard of the failover still takes the old node for the primary,
	 * and if that node is started again (empty, no persistence) before it hears, it turns the promoted node
	 * into a replica of the empty one (+convert-to-slave) and everything acknowledged is flushed. A CI run that
	 * asked only the first Sentinel lost 131 webhooks answered 200, and both streams (with and without WAIT)
	 * their older entries at once: the promoted node's data had been replaced, which only a REPLICAOF does.
	 */
	async waitForPromotion(oldPort: number, timeoutMs = 30_000): Promise<number> {
		const ports = await waitFor(
			async () =>
				await Promise.all(
					this.sentinels.map(async (s) => {
						const m = await this.sentinelMaster(s.port);
						return m.port ? Number(m.port) : undefined;
					}),
				),
			(named) =>
				named[0] !== undefined && named[0] !== oldPort && named.every((p) => p === named[0]),
			timeoutMs,
			'every Sentinel names the promoted replica',
			100,
		);
		return ports[0]!;
	}

	/**
	 * What the Sentinels and data nodes logged about roles (switch-master, convert-to-slave, sync with a
	 * primary, …), each line tagged with its process: read when a run loses data, to see which process took
	 * which node for the primary.
	 */
	roleEvents(): string[] {
		const wanted =
			/[+-](sdown|odown|failover|switch-master|convert-to-slave|config-update|promoted|selected|slave-reconf|elected|try-failover|vote|new-epoch)|MASTER <-> REPLICA sync: (Finished|Flushing)|REPLICAOF|MASTER MODE enabled|Connecting to MASTER/;
		const lines: string[] = [];
		for (const p of [...this.sentinels, ...this.nodes]) {
			for (const line of (p.earlierLog + p.log).split('\n')) {
				if (wanted.test(line)) lines.push(`${p.name} ${line.trim()}`);
			}
		}
		return lines;
	}

	async stop(): Promise<void> {
		for (const p of [...this.sentinels, ...this.nodes]) await p.kill();
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}
