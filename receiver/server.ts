import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Redis from 'ioredis';
import type { Delivery } from '../nodes/shared/events';
import { appendToInbox } from '../nodes/shared/inbox';
import { inboxKey } from '../nodes/shared/keys';
import { describeRedisError, keyPrefixOf, openRedis, replicaWaitOf } from '../nodes/shared/redis';
import { receiveSigned } from '../nodes/shared/receipt';
import { describeConfig, type ReceiverConfig, type ReceiverShop } from './config';
import { ReceiverMetrics, type Route } from './metrics';

/**
 * The Inventory Receiver: the Webhook Trigger's inbox mode without n8n in the request path (issue 19). Per
 * POST to a shop's path: raw bytes, the WooCommerce ping answered as the trigger answers it, the shared
 * signature check, XADD with the shared entry format, 200 only after Redis confirmed, 503 when it did not.
 * Answers and their bodies are the trigger's own (nodes/InventoryWebhookTrigger/receive.ts). Stateless: any
 * number of receivers may run behind a load balancer.
 */

export interface RunningReceiver {
	/** `http://host:port` of the listening socket. */
	readonly url: string;
	readonly port: number;
	/** Graceful: stop accepting, answer what is in flight (XADDs finish), close Redis. Idempotent. */
	close(): Promise<void>;
	/** The Prometheus text `GET /metrics` serves. */
	metricsText(): string;
}

export interface ReceiverOptions {
	/** One structured line per notable event (never a secret or a body); default: JSON lines on stdout. */
	logger?: (line: Record<string, unknown>) => void;
}

type Log = (event: string, fields?: Record<string, unknown>) => void;

const JSON_TYPE = 'application/json; charset=utf-8';

function defaultLogger(line: Record<string, unknown>): void {
	process.stdout.write(`${JSON.stringify(line)}\n`);
}

/**
 * Log lines for what can come in floods (bad signatures, overload, an outage): at most one line per event
 * name and second, the next one saying how many were left out.
 */
function makeLog(sink: (line: Record<string, unknown>) => void): { log: Log; throttled: Log } {
	const write: Log = (event, fields = {}) => {
		try {
			sink({ time: new Date().toISOString(), event, ...fields });
		} catch {
			// a failing logger must not fail a request
		}
	};
	const last = new Map<string, { at: number; suppressed: number }>();
	const throttled: Log = (event, fields = {}) => {
		const now = Date.now();
		const key = `${event}:${String(fields.reason ?? '')}`;
		const seen = last.get(key);
		if (seen && now - seen.at < 1_000) {
			seen.suppressed++;
			return;
		}
		last.set(key, { at: now, suppressed: 0 });
		write(event, seen?.suppressed ? { ...fields, suppressedBefore: seen.suppressed } : fields);
	};
	return { log: write, throttled };
}

/** The receiver's own Redis client: connects on first use, retried on the next use while it cannot. */
class InboxRedis {
	private pending: Promise<Redis> | undefined;
	client: Redis | undefined;

	constructor(private readonly config: ReceiverConfig) {}

	async get(): Promise<Redis> {
		if (!this.pending) {
			const p = openRedis(this.config.redis);
			this.pending = p;
			p.then(
				(c) => (this.client = c),
				() => {
					if (this.pending === p) this.pending = undefined;
				},
			);
		}
		return await this.pending;
	}

	async close(): Promise<void> {
		const p = this.pending;
		this.pending = undefined;
		const client = p ? await p.catch(() => undefined) : undefined;
		if (client) await client.quit().catch(() => client.disconnect());
	}
}

export async function startReceiver(
	config: ReceiverConfig,
	options: ReceiverOptions = {},
): Promise<RunningReceiver> {
	const { log, throttled } = makeLog(options.logger ?? defaultLogger);
	const routes = new Map<string, ReceiverShop>(config.shops.map((s) => [s.path, s]));
	const stream = inboxKey(keyPrefixOf(config.redis), config.inboxStream);
	const metrics = new ReceiverMetrics();
	const redis = new InboxRedis(config);
	let closing = false;
	let inboxDown = false;

	function answer(
		res: http.ServerResponse,
		route: Route,
		status: number,
		body: object | null,
		headers: Record<string, string> = {},
	): void {
		if (res.headersSent || res.destroyed) return;
		metrics.request(route, status);
		const payload = body === null ? '' : JSON.stringify(body);
		res.writeHead(status, {
			...(body === null ? {} : { 'Content-Type': JSON_TYPE }),
			'Content-Length': String(Buffer.byteLength(payload)),
			...(closing ? { Connection: 'close' } : {}),
			...headers,
		});
		res.end(payload);
	}

	async function health(res: http.ServerResponse): Promise<void> {
		try {
			await (await redis.get()).ping();
			answer(res, 'healthz', 200, { status: 'ok' });
		} catch {
			answer(res, 'healthz', 503, { status: 'redis unavailable' });
		}
	}

	async function store(
		res: http.ServerResponse,
		shop: ReceiverShop,
		delivery: Delivery,
		raw: Buffer,
	): Promise<void> {
		const started = process.hrtime.bigint();
		let client: Redis | undefined;
		try {
			client = await redis.get();
			await appendToInbox(client, stream, delivery, raw, replicaWaitOf(config.redis));
		} catch (error) {
			metrics.xadd(Number(process.hrtime.bigint() - started) / 1e9, false);
			inboxDown = true;
			// Never 200 for an event that is not stored: Shopify retries a 503; WooCommerce's catch-up poll covers it.
			throttled('inbox_unavailable', {
				level: 'warn',
				shop: shop.shop,
				reason: describeRedisError(error, config.redis, client),
			});
			answer(res, shop.platform, 503, { error: 'inbox unavailable, retry later' });
			return;
		}
		metrics.xadd(Number(process.hrtime.bigint() - started) / 1e9, true);
		if (inboxDown) {
			inboxDown = false;
			log('inbox_available', { level: 'info' });
		}
		answer(res, shop.platform, 200, { queued: true });
	}

	function receive(req: http.IncomingMessage, res: http.ServerResponse, shop: ReceiverShop): void {
		const route = shop.platform;
		const declared = Number(req.headers['content-length']);
		const tooLarge = () => {
			throttled('body_too_large', { level: 'warn', shop: shop.shop, limit: config.bodyLimitBytes });
			answer(
				res,
				route,
				413,
				{ error: `request body larger than ${config.bodyLimitBytes} bytes` },
				{ Connection: 'close' },
			);
		};
		if (Number.isFinite(declared) && declared > config.bodyLimitBytes) {
			req.pause();
			tooLarge();
			return;
		}
		const chunks: Buffer[] = [];
		let size = 0;
		let reading = true;
		const stop = () => {
			reading = false;
			clearTimeout(timer);
			chunks.length = 0;
		};
		const timer = setTimeout(() => {
			if (!reading) return;
			stop();
			req.pause();
			throttled('body_timeout', { level: 'warn', shop: shop.shop, receivedBytes: size });
			answer(
				res,
				route,
				408,
				{ error: 'request body not received in time' },
				{ Connection: 'close' },
			);
		}, config.bodyTimeoutMs);
		req.on('data', (chunk: Buffer) => {
			if (!reading) return;
			size += chunk.length;
			if (size > config.bodyLimitBytes) {
				stop();
				req.pause();
				tooLarge();
				return;
			}
			chunks.push(chunk);
		});
		req.on('error', stop);
		req.on('close', () => {
			if (reading && !req.complete) stop(); // the sender went away: nothing to answer
		});
		req.on('end', () => {
			if (!reading) return;
			const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
			stop();
			// The configured shop names the events, never the request's shop header (nodes/shared/receipt.ts).
			const credential = { current: shop.secret, previous: shop.previousSecret, shop: shop.shop };
			const receipt = receiveSigned(shop.platform, req.headers, raw, credential);
			if (receipt.kind === 'ping') {
				// Exactly 200, or WooCommerce does not save the webhook as active. Not an event: nothing stored.
				answer(res, route, 200, null);
				return;
			}
			if (receipt.kind === 'refused') {
				throttled('rejected', { level: 'warn', shop: shop.shop, reason: receipt.reason });
				answer(res, route, receipt.status, receipt.body);
				return;
			}
			if (receipt.delivery.shopHeaderIgnored !== undefined) {
				// A signed body under another shop's header (a replay, a misrouted webhook): stored under the
				// configured shop; the header is only logged (cut short: it is the sender's text).
				throttled('shop_header_ignored', {
					level: 'warn',
					shop: shop.shop,
					header: receipt.delivery.shopHeaderIgnored.slice(0, 200),
				});
			}
			void store(res, shop, receipt.delivery, raw);
		});
	}

	function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
		const url = req.url ?? '/';
		const q = url.indexOf('?');
		const pathname = q === -1 ? url : url.slice(0, q);
		if (pathname === '/healthz' || pathname === '/metrics') {
			const route: Route = pathname === '/healthz' ? 'healthz' : 'metrics';
			if (req.method !== 'GET') {
				answer(res, route, 405, { error: 'method not allowed' }, { Allow: 'GET' });
			} else if (route === 'healthz') {
				void health(res);
			} else {
				metrics.request('metrics', 200);
				const body = metrics.text();
				res.writeHead(200, {
					'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
					'Content-Length': String(Buffer.byteLength(body)),
				});
				res.end(body);
			}
			return;
		}
		const shop = routes.get(pathname);
		if (!shop) {
			answer(res, 'unmatched', 404, { error: 'not found' });
			return;
		}
		if (req.method !== 'POST') {
			answer(res, shop.platform, 405, { error: 'method not allowed' }, { Allow: 'POST' });
			return;
		}
		if (closing) {
			answer(res, shop.platform, 503, { error: 'shutting down, retry later' });
			return;
		}
		if (metrics.inFlight >= config.maxInFlight) {
			// Backpressure: answer at once, read nothing, close; memory stays bounded by maxInFlight bodies.
			throttled('overloaded', { level: 'warn', maxInFlight: config.maxInFlight });
			answer(
				res,
				shop.platform,
				503,
				{ error: 'too many requests in flight, retry later' },
				{ Connection: 'close', 'Retry-After': '1' },
			);
			return;
		}
		metrics.inFlight++;
		res.once('close', () => {
			metrics.inFlight--;
		});
		receive(req, res, shop);
	}

	const server = http.createServer(
		{
			headersTimeout: config.headersTimeoutMs,
			// A backstop only: the body timer (receive) answers 408 first.
			requestTimeout: config.headersTimeoutMs + config.bodyTimeoutMs + 1_000,
			// How often node checks those two (default 30 s would make a 5 s limit a 35 s one).
			connectionsCheckingInterval: Math.max(50, Math.min(1_000, config.headersTimeoutMs / 4)),
		},
		onRequest,
	);
	server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
		const code = error.code ?? '';
		const busy = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
		if (code === 'ECONNRESET' || !socket.writable || busy) {
			socket.destroy();
			return;
		}
		const status =
			code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
		metrics.request('unmatched', status);
		throttled('client_error', { level: 'warn', status, code });
		const body = JSON.stringify({
			error: status === 408 ? 'request headers not received in time' : 'bad request',
		});
		socket.end(
			`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: ${JSON_TYPE}\r\n` +
				`Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
		);
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.listen.port, config.listen.host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const address = server.address() as AddressInfo;
	const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
	const url = `http://${host}:${address.port}`;
	log('listening', { level: 'info', url, ...describeConfig(config) });
	// Connect now, so the first delivery does not wait for it; a Redis that is down is not fatal (503s).
	redis.get().catch((error: unknown) => {
		inboxDown = true;
		log('inbox_unavailable', {
			level: 'warn',
			reason: describeRedisError(error, config.redis),
		});
	});

	let closed: Promise<void> | undefined;
	async function close(): Promise<void> {
		closing = true;
		log('shutting_down', { level: 'info', inFlight: metrics.inFlight });
		const drained = new Promise<void>((resolve) => server.close(() => resolve()));
		server.closeIdleConnections();
		// Whatever is still open after the longest a request may take is cut.
		const cut = setTimeout(
			() => server.closeAllConnections(),
			config.headersTimeoutMs + config.bodyTimeoutMs + 3_000,
		);
		await drained;
		clearTimeout(cut);
		await redis.close();
		log('closed', { level: 'info' });
	}

	return {
		url,
		port: address.port,
		close: async () => await (closed ??= close()),
		metricsText: () => metrics.text(),
	};
}
