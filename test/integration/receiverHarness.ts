import http from 'node:http';
import net from 'node:net';
import type Redis from 'ioredis';
import { loadConfig, type ReceiverConfig } from '../../receiver/config';
import { CASE_SECRETS } from '../support/signatureCases';

/** Helpers of the Inventory Receiver's integration tests (receiver*.test.ts). */

export const SHOPIFY_PATH = '/shopify/demo-shop';
export const WOO_PATH = '/woocommerce/demo';

/** A config on the given Redis with both platforms' shops (the case table's secrets), listening on a free port. */
export function receiverConfig(
	redis: { host: string; port: number },
	prefix: string,
	extra: Record<string, unknown> = {},
): ReceiverConfig {
	return loadConfig({
		listen: { host: '127.0.0.1', port: 0 },
		redis: { host: redis.host, port: redis.port, keyPrefix: prefix },
		shops: [
			{
				platform: 'shopify',
				shop: 'demo-shop.myshopify.com',
				path: SHOPIFY_PATH,
				secret: CASE_SECRETS.shopify.current,
				previousSecret: CASE_SECRETS.shopify.previous,
			},
			{
				platform: 'woocommerce',
				shop: 'shop.example.com',
				path: WOO_PATH,
				secret: CASE_SECRETS.woocommerce.current,
				previousSecret: CASE_SECRETS.woocommerce.previous,
			},
		],
		...extra,
	});
}

/** Every entry of a stream: id and body bytes. */
export async function entries(
	redis: Redis,
	stream: string,
): Promise<Array<{ id: string; fields: Map<string, Buffer> }>> {
	const raw = await redis.xrangeBuffer(stream, '-', '+');
	return raw.map(([id, flat]) => {
		const fields = new Map<string, Buffer>();
		for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i].toString(), flat[i + 1]);
		return { id: id.toString(), fields };
	});
}

export interface Answer {
	status: number;
	body: string;
	headers: http.IncomingHttpHeaders;
	error?: string;
}

/**
 * A request whose body is sent in two steps: `start()` sends the headers (Content-Length of the whole body)
 * and the first part; `finish()` the rest. `answer` resolves with the answer (or status 0 and the error).
 */
export function slowRequest(
	url: string,
	body: Buffer,
	headers: Record<string, string>,
	firstPart = Math.floor(body.length / 2),
): { answer: Promise<Answer>; finish: () => void } {
	const req = http.request(url, {
		method: 'POST',
		headers: { ...headers, 'Content-Length': String(body.length) },
		agent: false,
	});
	const answer = new Promise<Answer>((resolve) => {
		req.on('response', (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () =>
				resolve({
					status: res.statusCode ?? 0,
					body: Buffer.concat(chunks).toString(),
					headers: res.headers,
				}),
			);
			res.on('error', (e) => resolve({ status: 0, body: '', headers: {}, error: e.message }));
		});
		req.on('error', (e) => resolve({ status: 0, body: '', headers: {}, error: e.message }));
	});
	req.flushHeaders();
	req.write(body.subarray(0, firstPart));
	return {
		answer,
		finish: () => {
			if (!req.destroyed) req.end(body.subarray(firstPart));
		},
	};
}

/** A chunked POST (no Content-Length) of `parts`, the way a sender that does not declare a size sends. */
export async function chunkedPost(url: string, parts: Buffer[]): Promise<Answer> {
	return await new Promise<Answer>((resolve) => {
		const req = http.request(url, { method: 'POST', agent: false });
		req.on('response', (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () =>
				resolve({
					status: res.statusCode ?? 0,
					body: Buffer.concat(chunks).toString(),
					headers: res.headers,
				}),
			);
		});
		req.on('error', (e) => resolve({ status: 0, body: '', headers: {}, error: e.message }));
		for (const p of parts) req.write(p);
		req.end();
	});
}

/** Raw bytes on a TCP connection; resolves with everything read until the server closed it. */
export async function rawExchange(port: number, text: string): Promise<string> {
	return await new Promise<string>((resolve) => {
		const socket = net.connect(port, '127.0.0.1');
		let out = '';
		socket.on('data', (c) => (out += c.toString()));
		socket.on('close', () => resolve(out));
		socket.on('error', () => undefined);
		socket.write(text);
	});
}

/** A request without keep-alive (no socket outlives the test); GET unless told. */
export async function get(url: string, method = 'GET'): Promise<Answer> {
	return await new Promise<Answer>((resolve) => {
		const req = http.request(url, { method, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () =>
				resolve({
					status: res.statusCode ?? 0,
					body: Buffer.concat(chunks).toString(),
					headers: res.headers,
				}),
			);
		});
		req.on('error', (e) => resolve({ status: 0, body: '', headers: {}, error: e.message }));
		req.end();
	});
}
