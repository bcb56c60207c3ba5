import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { sleep } from './wait';

/**
 * redis-servers of a test's own, for what the shared test Redis must not go through (restart, outage, TLS,
 * ACL, an evicting policy). The shared one is test/support/redis.ts (started by globalSetup.js).
 */

/** A free TCP port on 127.0.0.1 (ports handed out in this process are not handed out twice). */
const handedOut = new Set<number>();
export async function freePort(): Promise<number> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const port = await new Promise<number>((resolve, reject) => {
			const srv = createServer();
			srv.unref();
			srv.once('error', reject);
			srv.listen(0, '127.0.0.1', () => {
				const addr = srv.address() as AddressInfo;
				srv.close(() => resolve(addr.port));
			});
		});
		if (!handedOut.has(port)) {
			handedOut.add(port);
			return port;
		}
	}
	throw new Error('freePort: no free port found');
}

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
