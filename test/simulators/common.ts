import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * HTTP plumbing shared by the simulators: a loopback-only server and a raw-body POST client.
 * Only node:http is used. Servers bind 127.0.0.1 on an ephemeral port (`listen(0, '127.0.0.1')`).
 */

export interface SimLogEntry {
	op: string;
	name: string;
	/** ISO time the operation was recorded. */
	at: string;
	[key: string]: unknown;
}

export interface PostResult {
	/** HTTP status of the answer; 0 when there was none (connection refused, timeout). */
	status: number;
	body: string;
	headers: http.IncomingHttpHeaders;
	/** Why there was no answer ('timeout', 'connect timeout', or the socket error message). */
	error?: string;
	durationMs: number;
}

export interface PostOptions {
	/** Whole-request budget: give up (and count a failure) after this many ms. */
	timeoutMs: number;
	/** Budget for the TCP connection alone. */
	connectTimeoutMs?: number;
	method?: string;
}

const MAX_BODY = 50 * 1024 * 1024;

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (c: Buffer) => {
			size += c.length;
			if (size > MAX_BODY) {
				reject(new Error('body too large'));
				req.destroy();
				return;
			}
			chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

export function send(
	res: http.ServerResponse,
	status: number,
	body: string,
	headers: Record<string, string | number> = {},
): void {
	const buf = Buffer.from(body, 'utf8');
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': buf.length,
		...headers,
	});
	res.end(buf);
}

/** Start `server` on 127.0.0.1 and an ephemeral port; resolves with the port. */
export function listenLoopback(server: http.Server): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

export function closeServer(server: http.Server): Promise<void> {
	return new Promise((resolve) => {
		server.close(() => resolve());
		server.closeAllConnections();
	});
}

/**
 * POST raw bytes to `url` with exactly `headers` (no others but Host, Content-Length and Connection) and
 * resolve with the answer. Never rejects: a refused connection or a timeout resolves with status 0 and
 * `error`, which both platforms count as a failed delivery.
 */
export function postRaw(
	url: string,
	body: Buffer,
	headers: Record<string, string>,
	options: PostOptions,
): Promise<PostResult> {
	const started = Date.now();
	return new Promise((resolve) => {
		let settled = false;
		let connectTimer: NodeJS.Timeout | undefined;
		const finish = (r: Omit<PostResult, 'durationMs'>) => {
			if (settled) return;
			settled = true;
			clearTimeout(totalTimer);
			if (connectTimer) clearTimeout(connectTimer);
			resolve({ ...r, durationMs: Date.now() - started });
		};
		let target: URL;
		try {
			target = new URL(url);
		} catch {
			resolve({ status: 0, body: '', headers: {}, error: 'invalid URL', durationMs: 0 });
			return;
		}
		if (target.protocol !== 'http:') {
			// The simulators deliver over plain HTTP on loopback only (node:http, no TLS).
			resolve({
				status: 0,
				body: '',
				headers: {},
				error: `unsupported protocol ${target.protocol}`,
				durationMs: 0,
			});
			return;
		}
		const req = http.request(target, {
			method: options.method ?? 'POST',
			headers: { ...headers, 'Content-Length': String(body.length) },
			agent: false,
		});
		const totalTimer = setTimeout(() => {
			req.destroy(new Error('timeout'));
		}, options.timeoutMs);
		if (options.connectTimeoutMs !== undefined) {
			const ms = options.connectTimeoutMs;
			req.on('socket', (socket) => {
				if (!socket.connecting) return;
				connectTimer = setTimeout(() => req.destroy(new Error('connect timeout')), ms);
				socket.once('connect', () => clearTimeout(connectTimer));
			});
		}
		req.on('response', (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () =>
				finish({
					status: res.statusCode ?? 0,
					body: Buffer.concat(chunks).toString('utf8'),
					headers: res.headers,
				}),
			);
			res.on('error', (e) => finish({ status: 0, body: '', headers: {}, error: e.message }));
		});
		req.on('error', (e) => finish({ status: 0, body: '', headers: {}, error: e.message }));
		req.end(body);
	});
}

export function nowIso(): string {
	return new Date().toISOString();
}

/**
 * Change one byte of a signed body so its signature no longer matches while it stays valid JSON when it was:
 * the first ASCII digit is replaced by another digit; a body without digits gets its first letter's case
 * flipped; failing that, its middle byte is XOR-ed.
 */
export function tamperBody(body: Buffer): Buffer {
	const out = Buffer.from(body);
	for (let i = 0; i < out.length; i++) {
		const c = out[i];
		if (c >= 0x30 && c <= 0x39) {
			out[i] = c === 0x39 ? 0x38 : c + 1;
			return out;
		}
	}
	for (let i = 0; i < out.length; i++) {
		const c = out[i];
		if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
			out[i] = c ^ 0x20;
			return out;
		}
	}
	if (out.length > 0) out[out.length >> 1] ^= 0x01;
	return out;
}
