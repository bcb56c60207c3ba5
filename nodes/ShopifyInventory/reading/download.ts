import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';

/**
 * The lines of a bulk operation's result file, read from its signed URL as they arrive (readline over the
 * response stream): the file of a large shop is hundreds of MB and is never held whole. The URL is signed
 * storage (no credential; it carries its own signature in the query string, so it is never put in an error
 * message).
 */

export class DownloadError extends Error {
	constructor(
		message: string,
		readonly status?: number,
	) {
		super(message);
		this.name = 'DownloadError';
	}
}

/** Yields the file's lines; throws DownloadError for a non-200 answer or a broken connection. */
export async function* downloadLines(
	url: string,
	options: { signal?: AbortSignal; timeoutMs?: number } = {},
): AsyncGenerator<string> {
	const target = new URL(url);
	const get = target.protocol === 'https:' ? https.get : http.get;
	const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
		const request = get(target, { signal: options.signal }, resolve);
		request.setTimeout(options.timeoutMs ?? 60_000, () =>
			request.destroy(new DownloadError('the bulk result download timed out')),
		);
		request.on('error', (error) =>
			reject(
				error instanceof DownloadError
					? error
					: new DownloadError(
							`the bulk result download failed (${(error as NodeJS.ErrnoException).code ?? 'network error'})`,
						),
			),
		);
	});
	if (response.statusCode !== 200) {
		response.resume();
		throw new DownloadError(
			`the bulk result file answered HTTP ${response.statusCode ?? '?'}${response.statusCode === 403 ? ' (its signed URL has expired: run the read again)' : ''}`,
			response.statusCode,
		);
	}
	response.setEncoding('utf8');
	const lines = createInterface({ input: response, crlfDelay: Infinity });
	let broken: Error | undefined;
	response.on('error', (error) => (broken = error));
	response.on('aborted', () => (broken = new Error('aborted')));
	try {
		for await (const line of lines) yield line;
	} finally {
		lines.close();
		response.destroy();
	}
	if (broken || !response.complete)
		throw new DownloadError('the bulk result download was cut off before its end');
}
