import http from 'node:http';
import https from 'node:https';

/**
 * One HTTP request for a credential's Test button, and the words for what went wrong. A test must tell apart
 * "cannot reach the host", "TLS failed", "the server refused the secret" and "wrong address or version", so it
 * needs the socket's own error code and the answer's status, body included: n8n's declarative credential test
 * shows a bare "ENOTFOUND" or "Unauthorized". Never echoes the request (it carries the secrets).
 */

export interface ProbeRequest {
	url: string;
	method?: 'GET' | 'POST';
	headers?: Record<string, string>;
	body?: string;
	/** Default 10 s. */
	timeoutMs?: number;
}

export interface ProbeAnswer {
	status: number;
	statusText: string;
	body: string;
}

/** A request that got no HTTP answer: the socket's error code (ENOTFOUND, ECONNREFUSED, a TLS code, TIMEOUT). */
export class ProbeError extends Error {
	constructor(
		readonly code: string,
		readonly target: { host: string; port: number; tls: boolean },
		detail: string,
	) {
		super(detail);
	}
}

const MAX_BODY = 64 * 1024;

export async function probe(request: ProbeRequest): Promise<ProbeAnswer> {
	const url = new URL(request.url);
	const tls = url.protocol === 'https:';
	const target = { host: url.hostname, port: Number(url.port) || (tls ? 443 : 80), tls };
	const timeoutMs = request.timeoutMs ?? 10_000;
	return await new Promise<ProbeAnswer>((resolve, reject) => {
		const req = (tls ? https : http).request(
			url,
			{
				method: request.method ?? 'GET',
				headers: {
					...(request.body === undefined
						? {}
						: { 'content-length': String(Buffer.byteLength(request.body)) }),
					...request.headers,
				},
				timeout: timeoutMs,
			},
			(res) => {
				const chunks: Buffer[] = [];
				let size = 0;
				res.on('data', (chunk: Buffer) => {
					if (size < MAX_BODY) chunks.push(chunk);
					size += chunk.length;
				});
				res.on('end', () =>
					resolve({
						status: res.statusCode ?? 0,
						statusText: res.statusMessage ?? '',
						body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY),
					}),
				);
				res.on('error', (error: NodeJS.ErrnoException) =>
					reject(new ProbeError(error.code ?? 'ERROR', target, error.message)),
				);
			},
		);
		req.on('timeout', () => {
			req.destroy(new ProbeError('TIMEOUT', target, `no answer within ${timeoutMs} ms`));
		});
		req.on('error', (error: NodeJS.ErrnoException) =>
			reject(
				error instanceof ProbeError
					? error
					: new ProbeError(error.code ?? 'ERROR', target, error.message),
			),
		);
		if (request.body !== undefined) req.write(request.body);
		req.end();
	});
}

const NAME_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const TLS_CODE =
	/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID/;

/**
 * Why a request got no answer, for a person: which host and port, what happened, and the credential field to
 * check (`field`, e.g. 'Shop Domain').
 */
export function describeUnreachable(error: ProbeError, field: string): string {
	const { host, port, tls } = error.target;
	const where = `${host}:${port}`;
	if (NAME_CODES.has(error.code))
		return `Cannot reach ${host}: the name does not resolve (${error.code}). Check ${field}.`;
	if (error.code === 'ECONNREFUSED')
		return `Cannot reach ${where}: connection refused, nothing listens there. Check ${field} and its port.`;
	if (error.code === 'TIMEOUT' || error.code === 'ETIMEDOUT')
		return `Cannot reach ${where}: no answer (${error.message}). Check ${field}, the port and any firewall between n8n and the shop.`;
	if (TLS_CODE.test(error.code) || (tls && /ssl|tls|certificate/i.test(error.message))) {
		const why = /wrong version number|EPROTO/i.test(`${error.code} ${error.message}`)
			? 'the server does not speak HTTPS on this port (http:// instead of https://?)'
			: /SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(error.code)
				? "the server's certificate is not signed by a trusted authority (self-signed or a private CA)"
				: /ALTNAME|HOSTNAME/.test(error.code)
					? "the server's certificate is for another name"
					: "the server's certificate was refused";
		return `TLS with ${where} failed (${error.code}): ${why}. Check ${field}.`;
	}
	return `Cannot reach ${where}: ${error.code}. Check ${field}.`;
}

/** A short, single-line excerpt of an answer's body (platforms put the reason there). */
export function bodyExcerpt(body: string, max = 200): string {
	const text = body.replace(/\s+/g, ' ').trim();
	return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `HTTP 503 Service Unavailable` */
export function statusLine(answer: ProbeAnswer): string {
	return `HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
}

/** Replaces every secret in a message by *** (a platform may echo what it was sent). */
export function withoutSecrets(message: string, secrets: ReadonlyArray<unknown>): string {
	let out = message;
	for (const secret of secrets)
		if (typeof secret === 'string' && secret.length >= 4) out = out.split(secret).join('***');
	return out;
}
