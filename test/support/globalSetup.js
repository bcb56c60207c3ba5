// jest globalSetup of the integration and e2e projects: the Redis the tests use.
// - INVSYNC_TEST_REDIS set (e.g. redis://127.0.0.1:6379): that Redis is used, nothing is started.
// - Otherwise a private redis-server is started on a free port of 127.0.0.1, in a temporary folder, without
//   persistence (--save "" --appendonly no), and its address is put into INVSYNC_TEST_REDIS for the tests
//   (test/support/redis.ts reads it); globalTeardown.js stops it. A Redis of the developer's own on 6379 is
//   never touched unless named. Plain JavaScript: jest loads it without a transform.
const { spawn, execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ENV = 'INVSYNC_TEST_REDIS';

function freePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

/** One PING over a raw socket: true on +PONG. */
function ping(port) {
	return new Promise((resolve) => {
		const socket = net.connect({ host: '127.0.0.1', port });
		const done = (ok) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(500, () => done(false));
		socket.on('error', () => done(false));
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
	});
}

function redisServerBinary() {
	try {
		execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
		return 'redis-server';
	} catch {
		throw new Error(
			`redis-server was not found on PATH: the integration and e2e tests need a real Redis. Install Redis ` +
				`(e.g. apt-get install redis-server, brew install redis), or set ${ENV}=redis://<host>:<port> to use a running one.`,
		);
	}
}

async function start() {
	const binary = redisServerBinary();
	const dir = mkdtempSync(path.join(os.tmpdir(), 'invsync-test-redis-'));
	const logFile = path.join(dir, 'redis.log');
	let lastError;
	for (let attempt = 0; attempt < 5; attempt++) {
		const port = await freePort();
		const child = spawn(
			binary,
			[
				'--port',
				String(port),
				'--bind',
				'127.0.0.1',
				'--save',
				'',
				'--appendonly',
				'no',
				'--dir',
				dir,
				'--logfile',
				logFile,
				'--daemonize',
				'no',
			],
			{ stdio: 'ignore' },
		);
		child.unref();
		let exited = false;
		child.once('exit', () => (exited = true));
		const deadline = Date.now() + 10_000;
		while (!exited && Date.now() < deadline) {
			if (await ping(port)) return { child, dir, port };
			await new Promise((r) => setTimeout(r, 50));
		}
		child.kill('SIGKILL');
		let log = '';
		try {
			log = readFileSync(logFile, 'utf8').slice(-2_000);
		} catch {
			// no log written
		}
		lastError = new Error(`the private redis-server on port ${port} did not start:\n${log}`);
	}
	rmSync(dir, { recursive: true, force: true });
	throw lastError;
}

module.exports = async function globalSetup() {
	// Both projects name this file; the second call finds the address already there.
	if (process.env[ENV]) return;
	const server = await start();
	globalThis.__INVSYNC_TEST_REDIS__ = server;
	process.env[ENV] = `redis://127.0.0.1:${server.port}`;
};
